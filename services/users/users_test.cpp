#include "users/users.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "shop/events.h"
#include "shop/session_token.h"
#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"
#include "toolkit/store/store_test_util.h"

namespace users {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

// Every case runs on the embedded SQLite file and on a real PostgreSQL server
// (VELOCITY_DATABASE_URL), one fresh database per case.
class UsersTest : public ::testing::TestWithParam<velocity::SqlDialect> {
 protected:
  void SetUp() override {
    if (GetParam() == velocity::SqlDialect::kPostgres) {
      auto url = velocity::testing::fresh_postgres_database();
      ASSERT_TRUE(url) << url.error().message();
      database_url_ = *url;
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-users-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<velocity::MemoryBus>();
    ASSERT_TRUE(bus_->create_topic(std::string(shop::topics::kUsers), 4));
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start() {
    velocity::ServiceConfig config;
    config.name = "users";
    config.data_dir = dir_;
    config.database_url = database_url_;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    auto installed = install(*service_, env());
    ASSERT_TRUE(installed) << installed.error().message();
    ASSERT_TRUE(service_->start());
    port_ = service_->http_port();
  }

  velocity::config::Env env() const {
    return velocity::config::Env(
        [vars = env_](std::string_view name) -> std::optional<std::string> {
          const auto it = vars.find(std::string(name));
          if (it == vars.end()) return std::nullopt;
          return it->second;
        });
  }

  std::vector<std::pair<std::string, std::string>> as_customer(const std::string& id) const {
    return {{"X-Velocity-Customer", id}, {"X-Velocity-Edge-Key", service_->edge_key()}};
  }

  Http register_customer(const std::string& email, const std::string& password = "correct horse",
                         const std::string& name = "Ada Lovelace") {
    return http(port_, "POST", "/api/users/register",
                json{{"email", email}, {"password", password}, {"name", name}}.dump());
  }

  std::vector<velocity::Event> events() const {
    std::vector<velocity::Event> out;
    for (const auto& message : bus_->messages(std::string(shop::topics::kUsers))) {
      auto event = velocity::from_message(message);
      if (event) out.push_back(*event);
    }
    return out;
  }
  std::vector<velocity::Event> events_of(std::string_view type) const {
    std::vector<velocity::Event> out;
    for (auto& event : events())
      if (event.type == type) out.push_back(event);
    return out;
  }

  int64_t stored_customers() {
    auto tx = service_->db().begin();
    auto row = tx->query("SELECT COUNT(*) FROM customers");
    if (!row || !*row->next()) return -1;
    return row->int64(0);
  }

  // Registers a marker customer and waits for its UserRegistered: the outbox publishes in
  // commit order, so every event committed before it is on the bus by then, and a check that
  // nothing more was published can fail.
  void flush_outbox() {
    auto marker = register_customer("marker-" + std::to_string(++markers_) + "@example.com");
    ASSERT_EQ(marker.status, 201);
    const std::string id = marker.body["customer_id"];
    ASSERT_TRUE(eventually([&] {
      for (const auto& event : events_of(shop::UserRegistered::kType))
        if (event.subject == id) return true;
      return false;
    }));
  }

  std::map<std::string, std::string> env_;
  std::filesystem::path dir_;
  std::string database_url_;  // empty: SQLite
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  uint16_t port_ = 0;
  int markers_ = 0;
};

TEST_P(UsersTest, RegisteringNormalisesTheEmailReturnsAVerifiableTokenAndPublishesUserRegistered) {
  start();
  const auto before = std::chrono::system_clock::now();
  auto registered = register_customer("  Ada@Example.COM ");
  ASSERT_EQ(registered.status, 201) << registered.body.dump();
  const std::string id = registered.body["customer_id"];
  EXPECT_TRUE(id.starts_with("cus_"));
  EXPECT_EQ(registered.body["email"], "ada@example.com");
  EXPECT_EQ(registered.body["name"], "Ada Lovelace");

  auto keys = shop::load_verifying_key(dir_, env());
  ASSERT_TRUE(keys) << keys.error().message();
  auto claims = shop::verify_token(*keys, registered.body["token"].get<std::string>());
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->customer_id, id);
  auto expires = velocity::parse_rfc3339(registered.body["expires_at"].get<std::string>());
  ASSERT_TRUE(expires);
  EXPECT_EQ(*expires, claims->expires);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(claims->expires - claims->issued),
            24h);
  EXPECT_GE(claims->expires, std::chrono::floor<std::chrono::seconds>(before) + 24h);

  ASSERT_TRUE(eventually([&] { return events_of(shop::UserRegistered::kType).size() == 1; }));
  const auto event = events_of(shop::UserRegistered::kType).front();
  EXPECT_EQ(event.subject, id);
  EXPECT_EQ(event.source, "/services/users");
  auto data = velocity::decode<shop::UserRegistered>(event);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->customer_id, id);
  EXPECT_EQ(data->email, "ada@example.com");
  EXPECT_EQ(data->name, "Ada Lovelace");
}

TEST_P(UsersTest, ThePasswordIsStoredOnlyAsAnArgon2idHash) {
  start();
  ASSERT_EQ(register_customer("ada@example.com", "correct horse").status, 201);
  auto tx = service_->db().begin();
  ASSERT_TRUE(tx);
  auto row = tx->query("SELECT password_hash FROM customers");
  ASSERT_TRUE(row && *row->next());
  const auto hash = row->text(0);
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
}

TEST_P(UsersTest, ATakenEmailIsA409WhateverItsCase) {
  start();
  ASSERT_EQ(register_customer("ada@example.com").status, 201);
  auto again = register_customer("ADA@example.com ", "another password", "Someone Else");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["field"], "email");
  EXPECT_EQ(stored_customers(), 1);
}

TEST_P(UsersTest, InvalidFieldsAreA400NamingTheFieldAndStoreNothing) {
  start();
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"email", "not-an-email"}, {"password", "correct horse"}, {"name", "Ada"}}, "email"},
      {{{"email", "ada@localhost"}, {"password", "correct horse"}, {"name", "Ada"}}, "email"},
      {{{"email", "a b@example.com"}, {"password", "correct horse"}, {"name", "Ada"}}, "email"},
      {{{"password", "correct horse"}, {"name", "Ada"}}, "email"},
      {{{"email", 42}, {"password", "correct horse"}, {"name", "Ada"}}, "email"},
      {{{"email", "ada@example.com"}, {"password", "short"}, {"name", "Ada"}}, "password"},
      {{{"email", "ada@example.com"}, {"name", "Ada"}}, "password"},
      {{{"email", "ada@example.com"}, {"password", "correct horse"}, {"name", "   "}}, "name"},
      {{{"email", "ada@example.com"},
        {"password", "correct horse"},
        {"name", std::string(101, 'x')}},
       "name"},
      {{{"email", "ada@example.com"}, {"password", "correct horse"}}, "name"},
  };
  for (const auto& [body, field] : cases) {
    auto response = http(port_, "POST", "/api/users/register", body.dump());
    EXPECT_EQ(response.status, 400) << body.dump();
    EXPECT_EQ(response.body["field"], field) << body.dump();
    EXPECT_TRUE(response.body["error"].is_string());
  }
  EXPECT_EQ(http(port_, "POST", "/api/users/register", "{not json").status, 400);
  EXPECT_EQ(stored_customers(), 0);
  // A name of exactly 100 characters, counted as characters rather than bytes, is accepted.
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "é";
  EXPECT_EQ(register_customer("zoe@example.com", "correct horse", hundred).status, 201);
  // The outbox publishes in commit order: once zoe's event is out, anything a refused
  // request had committed before it would be out too.
  ASSERT_TRUE(eventually([&] { return !events().empty(); }));
  EXPECT_EQ(events().size(), 1u);
}

TEST_P(UsersTest, LoggingInWithTheRightPasswordIssuesATokenAndPublishesUserLoggedIn) {
  start();
  auto registered = register_customer("ada@example.com", "correct horse");
  ASSERT_EQ(registered.status, 201);
  auto login = http(port_, "POST", "/api/users/login",
                    json{{"email", " ADA@example.com"}, {"password", "correct horse"}}.dump());
  ASSERT_EQ(login.status, 200) << login.body.dump();
  EXPECT_EQ(login.body["customer_id"], registered.body["customer_id"]);
  auto keys = shop::load_verifying_key(dir_, env());
  ASSERT_TRUE(keys);
  auto claims = shop::verify_token(*keys, login.body["token"].get<std::string>());
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->customer_id, registered.body["customer_id"]);
  EXPECT_TRUE(login.body["expires_at"].is_string());

  ASSERT_TRUE(eventually([&] { return events_of(shop::UserLoggedIn::kType).size() == 1; }));
  auto data = velocity::decode<shop::UserLoggedIn>(events_of(shop::UserLoggedIn::kType).front());
  ASSERT_TRUE(data);
  EXPECT_EQ(data->customer_id, registered.body["customer_id"]);
}

TEST_P(UsersTest, AWrongPasswordAndAnUnknownEmailGetTheSame401) {
  start();
  ASSERT_EQ(register_customer("ada@example.com", "correct horse").status, 201);
  auto wrong = http(port_, "POST", "/api/users/login",
                    json{{"email", "ada@example.com"}, {"password", "battery staple"}}.dump());
  auto unknown = http(port_, "POST", "/api/users/login",
                      json{{"email", "bob@example.com"}, {"password", "correct horse"}}.dump());
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_FALSE(wrong.body.contains("token"));
  auto missing = http(port_, "POST", "/api/users/login", json{{"email", "ada@example.com"}}.dump());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["field"], "password");
  flush_outbox();
  EXPECT_TRUE(events_of(shop::UserLoggedIn::kType).empty());
}

TEST_P(UsersTest, TheProfileNeedsACustomerVouchedForByTheEdgeKey) {
  start();
  auto registered = register_customer("ada@example.com");
  ASSERT_EQ(registered.status, 201);
  const std::string id = registered.body["customer_id"];
  EXPECT_EQ(http(port_, "GET", "/api/users/me").status, 401);
  EXPECT_EQ(http(port_, "GET", "/api/users/me", {}, {{"X-Velocity-Customer", id}}).status, 401);
  EXPECT_EQ(http(port_, "GET", "/api/users/me", {},
                 {{"X-Velocity-Customer", id}, {"X-Velocity-Edge-Key", "forged"}})
                .status,
            401);
  EXPECT_EQ(http(port_, "PUT", "/api/users/me", R"({"name":"Eve"})", {{"X-Velocity-Customer", id}})
                .status,
            401);

  auto me = http(port_, "GET", "/api/users/me", {}, as_customer(id));
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["customer_id"], id);
  EXPECT_EQ(me.body["email"], "ada@example.com");
  EXPECT_EQ(me.body["name"], "Ada Lovelace");
  EXPECT_EQ(me.body["address"], json(shop::Address{}));
  EXPECT_EQ(http(port_, "GET", "/api/users/me", {}, as_customer("cus_nobody")).status, 404);
}

TEST_P(UsersTest, AProfileUpdateIsStoredAndPublishedAsProfileUpdated) {
  start();
  auto registered = register_customer("ada@example.com");
  ASSERT_EQ(registered.status, 201);
  const std::string id = registered.body["customer_id"];
  const json address = {{"line1", "12 Analytical Row"},
                        {"city", "London"},
                        {"postcode", "N1 9GU"},
                        {"country", "GB"}};
  auto updated = http(
      port_, "PUT", "/api/users/me",
      json{{"name", "Augusta Ada King"}, {"email", "Countess@Example.com"}, {"address", address}}
          .dump(),
      as_customer(id));
  ASSERT_EQ(updated.status, 200) << updated.body.dump();
  EXPECT_EQ(updated.body["name"], "Augusta Ada King");
  EXPECT_EQ(updated.body["email"], "countess@example.com");
  EXPECT_EQ(updated.body["address"]["city"], "London");
  EXPECT_EQ(updated.body["address"]["line2"], "");
  EXPECT_EQ(http(port_, "GET", "/api/users/me", {}, as_customer(id)).body, updated.body);

  ASSERT_TRUE(eventually([&] { return events_of(shop::ProfileUpdated::kType).size() == 1; }));
  auto data =
      velocity::decode<shop::ProfileUpdated>(events_of(shop::ProfileUpdated::kType).front());
  ASSERT_TRUE(data);
  EXPECT_EQ(data->customer_id, id);
  EXPECT_EQ(data->email, "countess@example.com");
  EXPECT_EQ(data->address.postcode, "N1 9GU");

  // The new email logs in; the old one no longer does.
  EXPECT_EQ(http(port_, "POST", "/api/users/login",
                 json{{"email", "countess@example.com"}, {"password", "correct horse"}}.dump())
                .status,
            200);
  EXPECT_EQ(http(port_, "POST", "/api/users/login",
                 json{{"email", "ada@example.com"}, {"password", "correct horse"}}.dump())
                .status,
            401);

  // Sending the stored values again changes nothing and announces nothing.
  EXPECT_EQ(http(port_, "PUT", "/api/users/me", json{{"name", "Augusta Ada King"}}.dump(),
                 as_customer(id))
                .status,
            200);
  flush_outbox();
  EXPECT_EQ(events_of(shop::ProfileUpdated::kType).size(), 1u);
}

TEST_P(UsersTest, AProfileUpdateToATakenEmailOrWithABadFieldChangesNothing) {
  start();
  ASSERT_EQ(register_customer("ada@example.com").status, 201);
  auto bob = register_customer("bob@example.com", "correct horse", "Bob");
  ASSERT_EQ(bob.status, 201);
  const std::string id = bob.body["customer_id"];

  auto taken = http(port_, "PUT", "/api/users/me",
                    json{{"name", "Robert"}, {"email", "ADA@example.com"}}.dump(), as_customer(id));
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.body["field"], "email");
  auto bad_city =
      http(port_, "PUT", "/api/users/me",
           json{{"name", "Robert"}, {"address", {{"city", 7}}}}.dump(), as_customer(id));
  EXPECT_EQ(bad_city.status, 400);
  EXPECT_EQ(bad_city.body["field"], "address.city");
  auto bad_address =
      http(port_, "PUT", "/api/users/me", json{{"address", "London"}}.dump(), as_customer(id));
  EXPECT_EQ(bad_address.status, 400);
  EXPECT_EQ(bad_address.body["field"], "address");
  auto bad_name = http(port_, "PUT", "/api/users/me", json{{"name", ""}}.dump(), as_customer(id));
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(bad_name.body["field"], "name");

  auto me = http(port_, "GET", "/api/users/me", {}, as_customer(id));
  EXPECT_EQ(me.body["name"], "Bob");
  EXPECT_EQ(me.body["email"], "bob@example.com");
  flush_outbox();
  EXPECT_TRUE(events_of(shop::ProfileUpdated::kType).empty());
}

TEST_P(UsersTest, TheSessionLifetimeComesFromVelocitySessionTtl) {
  env_["VELOCITY_SESSION_TTL"] = "1h";
  start();
  auto registered = register_customer("ada@example.com");
  ASSERT_EQ(registered.status, 201);
  auto keys = shop::load_verifying_key(dir_, env());
  ASSERT_TRUE(keys);
  auto claims = shop::verify_token(*keys, registered.body["token"].get<std::string>());
  ASSERT_TRUE(claims);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(claims->expires - claims->issued), 1h);
  EXPECT_FALSE(
      shop::verify_token(*keys, registered.body["token"].get<std::string>(), claims->issued + 2h));
}

TEST(UsersOptionsTest, ATtlBelowOneSecondIsRejectedNamingTheVariable) {
  velocity::config::Env env([](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_SESSION_TTL") return "10ms";
    return std::nullopt;
  });
  auto options = UsersOptions::from_env(env);
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().message().find("VELOCITY_SESSION_TTL"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, UsersTest,
                         ::testing::Values(velocity::SqlDialect::kSqlite, velocity::SqlDialect::kPostgres),
                         velocity::testing::engine_name);

}  // namespace
}  // namespace users
