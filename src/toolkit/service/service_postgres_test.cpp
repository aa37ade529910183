// A service on PostgreSQL: VELOCITY_DATABASE_URL in ServiceConfig, the clear errors when it is
// wrong or the server cannot be reached, and the outbox, inbox and handlers on a real server
// (postgres_test_server.h) with a MemoryBus.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"
#include "velocity/memory_bus.h"
#include "velocity/service.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;
using velocity::testing::eventually;

struct Greeting {
  static constexpr std::string_view kType = "test.greeting.v1";
  std::string name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Greeting, name)

config::Env env_of(std::map<std::string, std::string> values) {
  return config::Env([values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto found = values.find(std::string(name));
    if (found == values.end()) return std::nullopt;
    return found->second;
  });
}

std::filesystem::path temp_dir() {
  return std::filesystem::temp_directory_path() / ("velocity-service-pg-" + std::to_string(std::random_device{}()));
}

TEST(ServiceConfigDatabaseUrl, IsEmptyByDefaultSoTheServiceUsesItsSqliteFile) {
  auto config = ServiceConfig::from_env("orders", "127.0.0.1:8084", env_of({}));
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->database_url, "");
}

TEST(ServiceConfigDatabaseUrl, TakesAPostgresUrl) {
  const std::string url = "postgresql://velocity@db.example:5432/orders?sslmode=require";
  auto config = ServiceConfig::from_env("orders", "127.0.0.1:8084", env_of({{"VELOCITY_DATABASE_URL", url}}));
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->database_url, url);
  auto short_scheme =
      ServiceConfig::from_env("orders", "127.0.0.1:8084", env_of({{"VELOCITY_DATABASE_URL", "postgres:///orders"}}));
  ASSERT_TRUE(short_scheme) << short_scheme.error().message();
  EXPECT_EQ(short_scheme->database_url, "postgres:///orders");
}

TEST(ServiceConfigDatabaseUrl, RefusesAnythingButAPostgresUrlWithoutRepeatingIt) {
  for (const std::string bad : {"mysql://root:s3cret@db/orders", "var/orders.db", "sqlite:///x.db"}) {
    auto config =
        ServiceConfig::from_env("orders", "127.0.0.1:8084", env_of({{"VELOCITY_DATABASE_URL", bad}}));
    ASSERT_FALSE(config) << bad;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(config.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos);
    EXPECT_NE(config.error().message().find("postgresql://"), std::string::npos);
    EXPECT_EQ(config.error().message().find("s3cret"), std::string::npos);
  }
}

TEST(ServiceOnPostgres, AnUnreachableServerIsAClearErrorAtCreate) {
  const auto dir = temp_dir();
  ServiceConfig config;
  config.name = "greeter";
  config.data_dir = dir;
  // A unix socket in a directory that does not exist: nothing can answer there.
  config.database_url = "postgresql:///greeter?host=" + (dir / "no-server").string() + "&user=velocity";
  auto bus = std::make_shared<MemoryBus>();
  auto service = Service::create(config, bus, bus);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(service);
  EXPECT_EQ(service.error().code, ErrorCode::kIo);
  EXPECT_NE(service.error().message().find("service greeter"), std::string::npos) << service.error().message();
  EXPECT_NE(service.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos) << service.error().message();
}

TEST(ServiceOnPostgres, AMalformedUrlIsAClearErrorAtCreate) {
  const auto dir = temp_dir();
  ServiceConfig config;
  config.name = "greeter";
  config.data_dir = dir;
  config.database_url = "postgresql://velocity@db.example:notaport/greeter";
  auto bus = std::make_shared<MemoryBus>();
  auto service = Service::create(config, bus, bus);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(service);
  EXPECT_NE(service.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos) << service.error().message();
}

class ServiceOnPostgresServer : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::fresh_postgres_database();
    ASSERT_TRUE(url) << url.error().message();
    dir_ = temp_dir();
    bus_ = std::make_shared<MemoryBus>();
    ASSERT_TRUE(bus_->create_topic("greetings", 2));
    ASSERT_TRUE(bus_->create_topic("replies", 2));
    ServiceConfig config;
    config.name = "greeter";
    config.data_dir = dir_;
    config.database_url = *url;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    auto service = Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ASSERT_TRUE(service_->migrate("CREATE TABLE IF NOT EXISTS greeted (name TEXT PRIMARY KEY, times BIGINT)"));
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t times_greeted(const std::string& name) {
    auto tx = service_->db().begin();
    auto row = tx->query("SELECT times FROM greeted WHERE name = ?", name);
    if (!row || !*row->next()) return 0;
    return row->int64(0);
  }

  std::filesystem::path dir_;
  std::shared_ptr<MemoryBus> bus_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceOnPostgresServer, TheDatabaseIsPostgresAndNoSqliteFileIsCreated) {
  EXPECT_EQ(service_->db().dialect(), SqlDialect::kPostgres);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "greeter" / "greeter.db"));
}

TEST_F(ServiceOnPostgresServer, AnEventEmittedInACommittedTransactionIsPublished) {
  ASSERT_TRUE(service_->start());
  auto tx = service_->db().begin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE(tx->execute("INSERT INTO greeted VALUES (?, 0)", "ada"));
  auto emitted = service_->emit(*tx, "replies", "ada", Greeting{"ada"});
  ASSERT_TRUE(emitted);
  ASSERT_TRUE(service_->commit(*tx));

  ASSERT_TRUE(eventually([&] { return bus_->messages("replies").size() == 1; }));
  auto event = from_message(bus_->messages("replies").front());
  ASSERT_TRUE(event);
  EXPECT_EQ(event->id, emitted->id);
  EXPECT_EQ(event->source, "/services/greeter");
  EXPECT_EQ(event->data["name"], "ada");
}

TEST_F(ServiceOnPostgresServer, AnEventDeliveredTwiceHasOneEffectAndItsReplyIsEmittedOnce) {
  service_->on<Greeting>("greetings", [&](Transaction& tx, const Greeting& g, const Event&) -> Result<void> {
    auto updated = tx.execute(
        "INSERT INTO greeted VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET times = greeted.times + 1", g.name);
    if (!updated) return std::unexpected(updated.error());
    auto reply = service_->emit(tx, "replies", g.name, Greeting{"hello " + g.name});
    if (!reply) return std::unexpected(reply.error());
    return {};
  });
  ASSERT_TRUE(service_->start());

  auto message = to_message(make_event("/test", "grace", Greeting{"grace"}), "greetings");
  ASSERT_TRUE(message);
  ASSERT_TRUE(bus_->publish(*message));
  ASSERT_TRUE(bus_->publish(*message));  // the same event id again: a redelivery
  // A later event with the same key is handled after both (one partition, in order).
  auto marker = to_message(make_event("/test", "grace", Greeting{"marker"}), "greetings");
  ASSERT_TRUE(marker);
  ASSERT_TRUE(bus_->publish(*marker));
  ASSERT_TRUE(eventually([&] { return times_greeted("marker") == 1; }));
  EXPECT_EQ(times_greeted("grace"), 1);
  // The outbox publishes in commit order: once the marker's reply is out, so is every earlier one.
  ASSERT_TRUE(eventually([&] {
    const auto replies = bus_->messages("replies");
    return !replies.empty() && from_message(replies.back()).value().data["name"] == "hello marker";
  }));
  EXPECT_EQ(bus_->messages("replies").size(), 2u);
}

}  // namespace
}  // namespace velocity
