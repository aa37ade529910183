// SagaStore and its timers on PostgreSQL: the statements are shared with SQLite, the tables are
// not. Every case runs against a real server (postgres_test_server.h) in a database of its own.
#include <gtest/gtest.h>

#include "toolkit/store/postgres_test_server.h"
#include "velocity/saga.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

const auto kT0 = std::chrono::system_clock::time_point(1'700'000'000'000ms);

class PostgresSagaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::fresh_postgres_database();
    ASSERT_TRUE(url) << url.error().message();
    url_ = *url;
    ASSERT_NO_FATAL_FAILURE(reconnect());
  }
  // A new connection and store, as a restarted process would have.
  void reconnect() {
    store_.reset();
    db_.reset();
    auto db = Database::connect_postgres(url_);
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    auto store = SagaStore::open(*db_);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
  }
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

  std::string url_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SagaStore> store_;
  int fired_ = 0;
};

TEST_F(PostgresSagaTest, StateIsVersionedAndAStaleSaveIsFenced) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "placed"));
    ASSERT_TRUE(tx->commit());
  }
  auto stale = load("o-1").value();
  auto fresh = load("o-1").value();
  auto tx = db_->begin();
  fresh.state = "reserved";
  ASSERT_TRUE(store_->save(*tx, fresh));
  stale.state = "lost update";
  EXPECT_EQ(store_->save(*tx, stale).error().code, ErrorCode::kFenced);
  ASSERT_TRUE(tx->commit());
  auto stored = load("o-1").value();
  EXPECT_EQ(stored.state, "reserved");
  EXPECT_EQ(stored.version, 2);
}

TEST_F(PostgresSagaTest, CreatingAnExistingSagaIsAlreadyExists) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(store_->create(*tx, "o-1", "checkout", "placed"));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = db_->begin();
  EXPECT_EQ(store_->create(*tx, "o-1", "checkout", "{}").error().code, ErrorCode::kAlreadyExists);
}

TEST_F(PostgresSagaTest, TimerDueDuringDowntimeFiresOnceAfterReconnectAndCompensates) {
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
  ASSERT_NO_FATAL_FAILURE(reconnect());
  EXPECT_EQ(store_->next_due().value(), kT0 + 15min);
  EXPECT_EQ(store_->fire_due(kT0 + 1h, compensate())->fired, 1u);
  ASSERT_NO_FATAL_FAILURE(reconnect());
  EXPECT_EQ(store_->fire_due(kT0 + 2h, compensate())->fired, 0u);
  EXPECT_EQ(fired_, 1);
  EXPECT_EQ(load("o-1")->state, "cancelled:payment-timeout");
  EXPECT_FALSE(store_->next_due().value());
}

TEST_F(PostgresSagaTest, FailingHandlerRollsBackItsWritesAndTheTimerFiresAgain) {
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
  EXPECT_EQ(store_->fire_due(kT0, failing)->failed, 1u);
  EXPECT_EQ(load("o-1")->state, "awaiting-payment");
  EXPECT_EQ(store_->fire_due(kT0, compensate())->fired, 1u);
  EXPECT_EQ(load("o-1")->state, "cancelled:payment-timeout");
}

}  // namespace
}  // namespace velocity
