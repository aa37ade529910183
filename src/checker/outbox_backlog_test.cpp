#include "checker/outbox_backlog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <random>

#include "velocity/outbox.h"

namespace velocity::checker {
namespace {

using std::chrono::milliseconds;
const auto at_ms = [](int64_t ms) { return StoreClock::time_point(milliseconds(ms)); };

class OutboxBacklogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("velocity-outbox-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void make_db(const std::string& service, const std::string& sql) {
    std::filesystem::create_directories(dir_ / service);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / service / (service + ".db")).c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  std::filesystem::path dir_;
};

TEST_F(OutboxBacklogTest, CountsPendingRowsTheOldestAgeAndPublishedRowsAwaitingCleanUp) {
  // Written by the toolkit's own store, as a service writes it.
  std::filesystem::create_directories(dir_ / "orders");
  {
    auto db = Database::open(dir_ / "orders" / "orders.db");
    ASSERT_TRUE(db) << db.error().message();
    auto outbox = make_outbox_store(**db);
    ASSERT_TRUE(outbox) << outbox.error().message();
    std::vector<int64_t> ids;
    for (int64_t created : {1000, 4000, 500, 600}) {
      auto tx = (*outbox)->begin();
      ASSERT_TRUE(tx);
      auto id = (*outbox)->add(*tx, Message{.topic = "t", .key = "k", .payload = "{}"}, at_ms(created));
      ASSERT_TRUE(id);
      ASSERT_TRUE(tx->commit());
      ids.push_back(*id);
    }
    const std::vector<int64_t> failing{ids[1]};
    for (int attempt = 0; attempt < 3; ++attempt) ASSERT_TRUE((*outbox)->record_failure(failing));
    const std::vector<int64_t> published{ids[2], ids[3]};
    ASSERT_TRUE((*outbox)->mark_published(published, at_ms(800)));
  }
  const auto backlog = read_outbox_backlog(dir_, "orders", 61'000);
  ASSERT_FALSE(backlog.error) << *backlog.error;
  EXPECT_EQ(backlog.service, "orders");
  EXPECT_EQ(backlog.database, (dir_ / "orders" / "orders.db").string());
  EXPECT_EQ(backlog.pending, 2);
  EXPECT_EQ(backlog.oldest_pending_age_ms, 60'000);
  EXPECT_EQ(backlog.max_attempts, 3);
  EXPECT_EQ(backlog.published, 2);
}

TEST_F(OutboxBacklogTest, AnEmptyOutboxHasNoAge) {
  std::filesystem::create_directories(dir_ / "cart");
  {
    auto db = Database::open(dir_ / "cart" / "cart.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(make_outbox_store(**db));
  }
  const auto backlog = read_outbox_backlog(dir_, "cart", 61'000);
  ASSERT_FALSE(backlog.error);
  EXPECT_EQ(backlog.pending, 0);
  EXPECT_EQ(backlog.oldest_pending_age_ms, 0);
  EXPECT_EQ(backlog.published, 0);
}

TEST_F(OutboxBacklogTest, AMissingDatabaseOrTableOrAFileThatIsNoDatabaseIsAnError) {
  const auto missing = read_outbox_backlog(dir_, "users", 0);
  ASSERT_TRUE(missing.error);
  EXPECT_NE(missing.error->find("does not exist"), std::string::npos) << *missing.error;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "users" / "users.db"));  // read-only: nothing created

  make_db("catalog", "CREATE TABLE products (id TEXT);");
  const auto no_table = read_outbox_backlog(dir_, "catalog", 0);
  ASSERT_TRUE(no_table.error);
  EXPECT_NE(no_table.error->find("velocity_outbox"), std::string::npos) << *no_table.error;

  std::filesystem::create_directories(dir_ / "payments");
  std::ofstream(dir_ / "payments" / "payments.db") << "this is not a database, just some text that is long enough";
  const auto garbage = read_outbox_backlog(dir_, "payments", 0);
  ASSERT_TRUE(garbage.error);
}

}  // namespace
}  // namespace velocity::checker
