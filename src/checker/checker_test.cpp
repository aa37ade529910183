#include "checker/checker.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>

#include "velocity/outbox.h"

namespace velocity::checker {
namespace {


class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("velocity-checker-" + std::to_string(std::random_device{}()));
    const std::map<std::string, std::string> schemas = {
        {"users", ""},
        {"catalog", ""},
        {"cart", ""},
        {"shipping", ""},
        {"orders", "CREATE TABLE orders (order_id TEXT PRIMARY KEY, status TEXT);"},
        {"inventory",
         "CREATE TABLE stock (sku TEXT PRIMARY KEY, available INT, reserved INT, shipped INT);"
         "CREATE TABLE stock_adjustment (id INTEGER PRIMARY KEY, sku TEXT, delta INT, reason TEXT);"
         "CREATE TABLE reservation (order_id TEXT PRIMARY KEY, status TEXT);"
         "CREATE TABLE reservation_line (order_id TEXT, sku TEXT, quantity INT);"},
        {"payments", "CREATE TABLE payment (order_id TEXT PRIMARY KEY, status TEXT);"},
        {"notifications",
         "CREATE TABLE emails (email_id TEXT PRIMARY KEY, trigger_event_id TEXT UNIQUE, trigger_type TEXT, "
         "order_id TEXT, status TEXT);"},
    };
    for (const auto& [service, schema] : schemas) {
      std::filesystem::create_directories(dir_ / service);
      add_to_outbox(service, 0);
      exec(service, schema);
    }
    // A consistent store: one completed order (2 units shipped), one cancelled and refunded.
    exec("orders", "INSERT INTO orders VALUES ('o1', 'completed'), ('o2', 'cancelled');");
    exec("inventory",
         "INSERT INTO stock VALUES ('A', 98, 0, 2);"
         "INSERT INTO stock_adjustment (sku, delta, reason) VALUES ('A', 100, 'initial');"
         "INSERT INTO reservation VALUES ('o1', 'shipped'), ('o2', 'released');"
         "INSERT INTO reservation_line VALUES ('o1', 'A', 2), ('o2', 'A', 1);");
    exec("payments", "INSERT INTO payment VALUES ('o1', 'authorized'), ('o2', 'refunded');");
    exec("notifications",
         "INSERT INTO emails VALUES ('e1', 't1', 'shop.order.confirmed.v1', 'o1', 'sent'),"
         "('e2', 't2', 'shop.shipping.dispatched.v1', 'o1', 'sent'),"
         "('e3', 't3', 'shop.shipping.delivered.v1', 'o1', 'sent'),"
         "('e4', 't4', 'shop.order.cancelled.v1', 'o2', 'sent');");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void exec(const std::string& service, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / service / (service + ".db")).c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_close(db);
  }

  // Creates the service's outbox as services do (the toolkit's store), with `pending` rows in it.
  void add_to_outbox(const std::string& service, int pending) {
    auto db = Database::open(dir_ / service / (service + ".db"));
    ASSERT_TRUE(db) << db.error().message();
    auto outbox = make_outbox_store(**db);
    ASSERT_TRUE(outbox) << outbox.error().message();
    for (int i = 0; i < pending; ++i) {
      auto tx = (*outbox)->begin();
      ASSERT_TRUE(tx);
      ASSERT_TRUE((*outbox)->add(*tx, Message{.topic = "shop.carts", .key = "c", .payload = "{}"}));
      ASSERT_TRUE(tx->commit());
    }
  }

  const Check& find(const Verdict& v, const std::string& name) {
    for (const auto& c : v.checks)
      if (c.name == name) return c;
    throw std::runtime_error("no check " + name);
  }

  std::filesystem::path dir_;
};

TEST_F(CheckerTest, AConsistentStorePassesEveryCheck) {
  const auto verdict = check_store(dir_);
  EXPECT_TRUE(verdict.ok()) << verdict.to_text();
  EXPECT_NE(verdict.to_text().find("every invariant holds"), std::string::npos);
  EXPECT_TRUE(verdict.to_json()["ok"].get<bool>());
}

TEST_F(CheckerTest, LostStockIsReported) {
  exec("inventory", "UPDATE stock SET available = 97 WHERE sku = 'A';");
  const auto verdict = check_store(dir_);
  ASSERT_FALSE(verdict.ok());
  const auto& c = find(verdict, "stock conserved");
  ASSERT_FALSE(c.ok);
  EXPECT_NE(c.violations[0].find("stocked 100 but available 97"), std::string::npos) << c.violations[0];
}

TEST_F(CheckerTest, AnOrderInFlightAndAnUnrefundedCancelAreReported) {
  exec("orders", "INSERT INTO orders VALUES ('o3', 'reserved');");
  exec("payments", "UPDATE payment SET status = 'authorized' WHERE order_id = 'o2';");
  const auto verdict = check_store(dir_);
  EXPECT_FALSE(find(verdict, "every order terminal").ok);
  const auto& payments = find(verdict, "payments match orders");
  ASSERT_FALSE(payments.ok);
  EXPECT_NE(payments.violations[0].find("o2 is cancelled but was not refunded"), std::string::npos);
}

TEST_F(CheckerTest, AMissingOrDuplicateEmailAndAPendingOutboxAreReported) {
  exec("notifications", "DELETE FROM emails WHERE email_id = 'e3';");
  add_to_outbox("cart", 1);
  const auto verdict = check_store(dir_);
  const auto& emails = find(verdict, "one email per triggering event");
  ASSERT_FALSE(emails.ok);
  EXPECT_NE(emails.violations[0].find("0 'delivered' emails, expected 1"), std::string::npos) << emails.violations[0];
  const auto& outbox = find(verdict, "outboxes drained");
  ASSERT_FALSE(outbox.ok);
  EXPECT_NE(outbox.violations[0].find("cart: 1 events not yet published"), std::string::npos);
}

TEST_F(CheckerTest, AnEmailLeftUnconfirmedByACrashIsANoteButAFailedOrPendingOneIsAViolation) {
  exec("notifications", "UPDATE emails SET status = 'unknown' WHERE email_id = 'e2';");
  auto verdict = check_store(dir_);
  const auto& unconfirmed = find(verdict, "one email per triggering event");
  EXPECT_TRUE(verdict.ok()) << verdict.to_text();
  ASSERT_EQ(unconfirmed.notes.size(), 1u);
  EXPECT_NE(unconfirmed.notes[0].find("email for t2 was interrupted by a crash"), std::string::npos);
  EXPECT_NE(unconfirmed.detail.find("1 unconfirmed"), std::string::npos) << unconfirmed.detail;
  EXPECT_NE(verdict.to_text().find("note: email for t2"), std::string::npos) << verdict.to_text();
  EXPECT_EQ(verdict.to_json()["checks"][4]["notes"].size(), 1u);

  for (const char* status : {"failed", "pending", "sending"}) {
    exec("notifications", std::string("UPDATE emails SET status = '") + status + "' WHERE email_id = 'e3';");
    verdict = check_store(dir_);
    const auto& emails = find(verdict, "one email per triggering event");
    ASSERT_FALSE(emails.ok) << status;
    EXPECT_EQ(emails.violations[0], std::string("email for t3 is ") + status);
  }
}

TEST_F(CheckerTest, AMissingDatabaseIsAViolationNotACrash) {
  std::filesystem::remove_all(dir_ / "payments");
  const auto verdict = check_store(dir_);
  EXPECT_FALSE(verdict.ok());
  EXPECT_NE(verdict.to_text().find("payments.db does not exist"), std::string::npos) << verdict.to_text();
}

}  // namespace
}  // namespace velocity::checker
