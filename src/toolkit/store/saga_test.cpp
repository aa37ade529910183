#include <gtest/gtest.h>

#include <condition_variable>

#include "toolkit/store/store_test_util.h"
#include "velocity/saga.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

const auto kT0 = std::chrono::system_clock::time_point(1'700'000'000'000ms);

class SagaTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    store_.reset();
    db_.reset();
    db_ = std::move(Database::open(dir_.file("orders.sqlite")).value());
    store_ = std::move(SagaStore::open(*db_).value());
  }

  // The service's timeout handler: compensates by marking the saga cancelled, in the timer's
  // own transaction.
  SagaStore::TimerHandler compensate() {
    return [this](Transaction& tx, const SagaTimer& timer) -> Result<void> {
      ++fired_;
      auto saga = store_->load(tx, timer.saga_id);
      if (!saga) return std::unexpected(saga.error());
      if (!*saga) return fail(ErrorCode::kNotFound, timer.saga_id);
      (*saga)->state = "cancelled:" + timer.name;
      return store_->save(tx, **saga);
    };
  }

  std::optional<SagaInstance> load(const std::string& id) {
    auto tx = db_->begin();
    return store_->load(*tx, id).value();
  }

  testing::ScratchDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SagaStore> store_;
  int fired_ = 0;
};

TEST_F(SagaTest, StateIsVersionedAndAStaleSaveIsFenced) {
  {
    auto tx = db_->begin();
    auto created = store_->create(*tx, "o-1", "checkout", R"({"step":"placed"})");
    ASSERT_TRUE(created);
    EXPECT_EQ(created->version, 1);
    EXPECT_EQ(store_->create(*tx, "o-1", "checkout", "{}").error().code, ErrorCode::kAlreadyExists);
    ASSERT_TRUE(tx->commit());
  }
  auto stale = load("o-1").value();
  auto fresh = load("o-1").value();
  {
    auto tx = db_->begin();
    fresh.state = R"({"step":"reserved"})";
    ASSERT_TRUE(store_->save(*tx, fresh));
    EXPECT_EQ(fresh.version, 2);
    stale.state = "lost update";
    auto r = store_->save(*tx, stale);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kFenced);
    ASSERT_TRUE(tx->commit());
  }
  auto stored = load("o-1").value();
  EXPECT_EQ(stored.type, "checkout");
  EXPECT_EQ(stored.state, R"({"step":"reserved"})");
  EXPECT_EQ(stored.version, 2);
}

TEST_F(SagaTest, TimerDueDuringDowntimeFiresOnceAfterRestartAndCompensates) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "awaiting-payment"));
    ASSERT_TRUE(store_->schedule(*tx, "o-1", kT0 + 15min, "payment-timeout"));
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(store_->fire_due(kT0 + 14min, compensate())->fired, 0u);
  open();  // the process restarts; the timer fell due meanwhile
  EXPECT_EQ(store_->next_due().value(), kT0 + 15min);
  auto fired = store_->fire_due(kT0 + 1h, compensate());
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->fired, 1u);
  open();
  EXPECT_EQ(store_->fire_due(kT0 + 2h, compensate())->fired, 0u);
  EXPECT_EQ(fired_, 1);
  EXPECT_EQ(load("o-1")->state, "cancelled:payment-timeout");
  EXPECT_FALSE(store_->next_due().value());
}

TEST_F(SagaTest, FailingHandlerRollsBackItsWritesAndTheTimerFiresAgain) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "awaiting-payment"));
    ASSERT_TRUE(store_->schedule(*tx, "o-1", kT0, "payment-timeout"));
    ASSERT_TRUE(tx->commit());
  }
  auto failing = [this](Transaction& tx, const SagaTimer& timer) -> Result<void> {
    EXPECT_TRUE(compensate()(tx, timer));
    return fail(ErrorCode::kIo, "disk hiccup");
  };
  auto first = store_->fire_due(kT0, failing);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->failed, 1u);
  EXPECT_EQ(load("o-1")->state, "awaiting-payment");
  EXPECT_EQ(store_->fire_due(kT0, compensate())->fired, 1u);
  EXPECT_EQ(load("o-1")->state, "cancelled:payment-timeout");
}

TEST_F(SagaTest, CancelledTimerNeverFiresAndOthersStillDo) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "s"));
    ASSERT_TRUE(store_->create(*tx, "o-2", "checkout", "s"));
    ASSERT_TRUE(store_->schedule(*tx, "o-1", kT0, "payment-timeout"));
    ASSERT_TRUE(store_->schedule(*tx, "o-2", kT0, "payment-timeout"));
    EXPECT_EQ(store_->cancel(*tx, "o-1", "payment-timeout").value(), 1);
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(store_->fire_due(kT0, compensate())->fired, 1u);
  EXPECT_EQ(load("o-1")->state, "s");
  EXPECT_EQ(load("o-2")->state, "cancelled:payment-timeout");
}

TEST_F(SagaTest, TimerThreadFiresADueTimerInItsTransaction) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "s"));
    ASSERT_TRUE(store_->schedule(*tx, "o-1", std::chrono::system_clock::now(), "payment-timeout"));
    ASSERT_TRUE(tx->commit());
  }
  std::mutex mutex;
  std::condition_variable done;
  int calls = 0;
  auto handler = [&](Transaction& tx, const SagaTimer& timer) -> Result<void> {
    auto r = compensate()(tx, timer);
    std::lock_guard lock(mutex);
    ++calls;
    done.notify_all();
    return r;
  };
  SagaTimers timers(*store_, handler);
  timers.start();
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(done.wait_for(lock, 30s, [&] { return calls > 0; }));
  }
  timers.stop();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(load("o-1")->state, "cancelled:payment-timeout");
  EXPECT_FALSE(store_->next_due().value());
}

}  // namespace
}  // namespace velocity
