// SagaStore and its timers: every case runs on SQLite and on a real PostgreSQL server
// (postgres_test_server.h), a new database each; the statements are the same for both engines.
#include "velocity/saga.h"

#include <gtest/gtest.h>

#include <condition_variable>

#include "toolkit/store/store_test_util.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

const auto kT0 = std::chrono::system_clock::time_point(1'700'000'000'000ms);

// A SagaStore on a new database of the engine open() names.
class SagaFixture : public ::testing::Test {
 protected:
  void open(SqlDialect engine) {
    auto scratch = testing::create_scratch_database(engine, dir_);
    ASSERT_TRUE(scratch) << scratch.error().message();
    scratch_ = *scratch;
    ASSERT_NO_FATAL_FAILURE(restart());
  }
  // A new connection and store, as a restarted process would have.
  void restart() {
    store_.reset();
    db_.reset();
    auto db = scratch_.connect();
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    auto store = SagaStore::open(*db_);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
  }

  // Commits a new checkout saga `id` in `state` with a "payment-timeout" timer due at `due`.
  void create_with_timeout(const std::string& id, const std::string& state,
                           std::chrono::system_clock::time_point due) {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, id, "checkout", state));
    ASSERT_TRUE(store_->schedule(*tx, id, due, "payment-timeout"));
    ASSERT_TRUE(tx->commit());
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
  testing::ScratchDatabase scratch_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SagaStore> store_;
  int fired_ = 0;
};

using SagaTest = testing::OnEachEngine<SagaFixture>;
using SqliteSagaTest = testing::OnEngine<SagaFixture, SqlDialect::kSqlite>;

TEST_P(SagaTest, StateIsVersionedAndAStaleSaveIsFenced) {
  {
    auto tx = db_->begin();
    auto created = store_->create(*tx, "o-1", "checkout", R"({"step":"placed"})");
    ASSERT_TRUE(created);
    EXPECT_EQ(created->version, 1);
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

TEST_P(SagaTest, CreatingAnExistingSagaIsAlreadyExists) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "placed"));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = db_->begin();
  EXPECT_EQ(store_->create(*tx, "o-1", "checkout", "{}").error().code, ErrorCode::kAlreadyExists);
}

TEST_P(SagaTest, TimerDueDuringDowntimeFiresOnceAfterRestartAndCompensates) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "awaiting-payment"));
    auto first = store_->schedule(*tx, "o-1", kT0 + 15min, "payment-timeout");
    auto second = store_->schedule(*tx, "o-1", kT0 + 30min, "reminder");
    ASSERT_TRUE(first && second);
    EXPECT_LT(*first, *second);
    EXPECT_EQ(store_->cancel(*tx, "o-1", "reminder").value(), 1);
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(store_->fire_due(kT0 + 14min, compensate())->fired, 0u);
  ASSERT_NO_FATAL_FAILURE(restart());  // the timer falls due meanwhile
  EXPECT_EQ(store_->next_due().value(), kT0 + 15min);
  auto fired = store_->fire_due(kT0 + 1h, compensate());
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->fired, 1u);
  ASSERT_NO_FATAL_FAILURE(restart());
  EXPECT_EQ(store_->fire_due(kT0 + 2h, compensate())->fired, 0u);
  EXPECT_EQ(fired_, 1);
  EXPECT_EQ(load("o-1")->state, "cancelled:payment-timeout");
  EXPECT_FALSE(store_->next_due().value());
}

TEST_P(SagaTest, FailingHandlerRollsBackItsWritesAndTheTimerFiresAgain) {
  ASSERT_NO_FATAL_FAILURE(create_with_timeout("o-1", "awaiting-payment", kT0));
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

TEST_P(SagaTest, CancelledTimerNeverFiresAndOthersStillDo) {
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

TEST_P(SagaTest, TimerThreadFiresADueTimerInItsTransaction) {
  ASSERT_NO_FATAL_FAILURE(create_with_timeout("o-1", "s", std::chrono::system_clock::now()));
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

INSTANTIATE_TEST_SUITE_P(Engines, SagaTest,
                         ::testing::Values(SqlDialect::kSqlite, SqlDialect::kPostgres),
                         testing::engine_name);

// On SQLite a failed statement leaves the transaction usable (PostgreSQL aborts it).
TEST_F(SqliteSagaTest, CreatingAnExistingSagaInTheSameTransactionFailsAloneAndTheFirstStands) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "placed"));
    EXPECT_EQ(store_->create(*tx, "o-1", "refund", "{}").error().code, ErrorCode::kAlreadyExists);
    ASSERT_TRUE(tx->commit());
  }
  auto stored = load("o-1").value();
  EXPECT_EQ(stored.type, "checkout");
  EXPECT_EQ(stored.state, "placed");
  EXPECT_EQ(stored.version, 1);
}

}  // namespace
}  // namespace velocity
