#include "checker/outbox_backlog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <random>

namespace velocity::checker {
namespace {

// The columns `velocity outbox` reads, in the shape the services create them.
constexpr const char* kOutbox =
    "CREATE TABLE velocity_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key BLOB NOT NULL,"
    " payload BLOB NOT NULL, headers BLOB NOT NULL, created_ms INTEGER NOT NULL, published_ms INTEGER,"
    " attempts INTEGER NOT NULL DEFAULT 0);";

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
  make_db("orders", std::string(kOutbox) +
                        "INSERT INTO velocity_outbox (topic, key, payload, headers, created_ms, published_ms, attempts)"
                        " VALUES ('t', x'', x'', x'', 1000, NULL, 0), ('t', x'', x'', x'', 4000, NULL, 3),"
                        " ('t', x'', x'', x'', 500, 700, 0), ('t', x'', x'', x'', 600, 800, 1);");
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
  make_db("cart", kOutbox);
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
