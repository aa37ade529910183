// A Service with a MemoryBus: the outbox, inbox, handlers and timers run on both engines — the
// SQLite file in its data directory, and a real PostgreSQL server (postgres_test_server.h) named
// by VELOCITY_DATABASE_URL, a new database each. Then what holds apart from the engine (HTTP
// routes, the environment) and PostgreSQL's own: the URL setting and its errors.
#include "velocity/service.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "toolkit/service/test_kit.h"
#include "toolkit/store/store_test_util.h"
#include "velocity/memory_bus.h"

#if VELOCITY_USE_JEMALLOC
#include <jemalloc/jemalloc.h>

#include <cstdlib>
#endif

namespace velocity {
namespace {

using namespace std::chrono_literals;

struct Greeting {
  static constexpr std::string_view kType = "test.greeting.v1";
  std::string name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Greeting, name)

using velocity::testing::eventually;
using velocity::testing::http;

std::filesystem::path temp_dir() {
  return std::filesystem::temp_directory_path() /
         ("velocity-service-" + std::to_string(std::random_device{}()));
}

config::Env env_of(std::map<std::string, std::string> values) {
  return config::Env(
      [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
        auto found = values.find(std::string(name));
        if (found == values.end()) return std::nullopt;
        return found->second;
      });
}

// The greeter service, not started, with its table `greeted`, on the engine open() names.
class GreeterService : public ::testing::Test {
 protected:
  void open(SqlDialect engine) {
    dir_ = temp_dir();
    bus_ = std::make_shared<MemoryBus>();
    ASSERT_TRUE(bus_->create_topic("greetings", 2));
    ASSERT_TRUE(bus_->create_topic("replies", 2));
    ServiceConfig config;
    config.name = "greeter";
    config.data_dir = dir_;
    if (engine == SqlDialect::kPostgres) {
      auto url = testing::fresh_postgres_database();
      ASSERT_TRUE(url) << url.error().message();
      config.database_url = *url;
    }
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    auto service = Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ASSERT_TRUE(service_->migrate(
        "CREATE TABLE IF NOT EXISTS greeted (name TEXT PRIMARY KEY, times INTEGER)"));
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

using ServiceTest = testing::OnEachEngine<GreeterService>;
// Routing never touches the database: on SQLite only.
using ServiceHttpTest = testing::OnEngine<GreeterService, SqlDialect::kSqlite>;
using ServiceOnPostgresServer = testing::OnEngine<GreeterService, SqlDialect::kPostgres>;

TEST_P(ServiceTest, AnEventEmittedInACommittedTransactionIsPublishedAsACloudEvent) {
  ASSERT_TRUE(service_->start());
  auto tx = service_->db().begin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE(tx->execute("INSERT INTO greeted VALUES (?, 0)", "ada"));
  auto emitted = service_->emit(*tx, "replies", "ada", Greeting{"ada"});
  ASSERT_TRUE(emitted);
  ASSERT_TRUE(service_->commit(*tx));

  ASSERT_TRUE(eventually([&] { return bus_->messages("replies").size() == 1; }));
  const auto message = bus_->messages("replies").front();
  EXPECT_EQ(message.key, "ada");
  auto event = from_message(message);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, Greeting::kType);
  EXPECT_EQ(event->source, "/services/greeter");
  EXPECT_EQ(event->id, emitted->id);
  EXPECT_TRUE(event->traceparent.has_value());
  EXPECT_EQ(event->data["name"], "ada");
}

TEST_P(ServiceTest, ARolledBackTransactionPublishesNothing) {
  ASSERT_TRUE(service_->start());
  {
    auto tx = service_->db().begin();
    ASSERT_TRUE(service_->emit(*tx, "replies", "bob", Greeting{"bob"}));
    // Destroyed without commit: rolled back.
  }
  auto tx = service_->db().begin();
  ASSERT_TRUE(service_->emit(*tx, "replies", "eve", Greeting{"eve"}));
  ASSERT_TRUE(service_->commit(*tx));
  ASSERT_TRUE(eventually([&] { return bus_->messages("replies").size() == 1; }));
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(bus_->messages("replies").size(), 1u);
  EXPECT_EQ(bus_->messages("replies").front().key, "eve");
}

TEST_P(ServiceTest, AnEventDeliveredTwiceHasOneEffectAndItsReplyIsEmittedOnce) {
  service_->on<Greeting>(
      "greetings", [&](Transaction& tx, const Greeting& g, const Event&) -> Result<void> {
        auto updated = tx.execute(
            "INSERT INTO greeted VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET times = "
            "greeted.times + 1",
            g.name);
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

TEST_P(ServiceTest, ADueTimerRunsItsHandlerAndItsEventsArePublished) {
  service_->on_timer([&](Transaction& tx, const SagaTimer& timer) -> Result<void> {
    auto reply = service_->emit(tx, "replies", timer.saga_id, Greeting{timer.name});
    if (!reply) return std::unexpected(reply.error());
    return {};
  });
  ASSERT_TRUE(service_->start());
  auto tx = service_->db().begin();
  ASSERT_TRUE(
      service_->sagas().schedule(*tx, "s-1", std::chrono::system_clock::now() + 50ms, "wake"));
  ASSERT_TRUE(service_->commit(*tx));
  ASSERT_TRUE(eventually([&] { return bus_->messages("replies").size() == 1; }));
  auto event = from_message(bus_->messages("replies").front());
  ASSERT_TRUE(event);
  EXPECT_EQ(event->subject, "s-1");
  EXPECT_EQ(event->data["name"], "wake");
}

INSTANTIATE_TEST_SUITE_P(Engines, ServiceTest,
                         ::testing::Values(SqlDialect::kSqlite, SqlDialect::kPostgres),
                         testing::engine_name);

TEST_F(ServiceHttpTest, RoutesTakePathParametersAndOnlyTrustTheCustomerHeaderWithTheEdgeKey) {
  service_->route("GET", "/api/greeter/names/{name}", [&](const ops::HttpRequest& request) {
    auto customer = service_->customer(request);
    if (!customer) return customer.error();
    return json_response(200, {{"name", request.param("name")},
                               {"customer", *customer},
                               {"loud", request.query("loud").value_or("")}});
  });
  service_->route("POST", "/api/greeter/names", [&](const ops::HttpRequest& request) {
    auto body = json_body(request);
    if (!body) return body.error();
    if (!body->contains("name") || !(*body)["name"].is_string())
      return json_error(400, "name is required and must be a string", "name");
    return json_response(201, *body);
  });
  ASSERT_TRUE(service_->start());
  const auto port = service_->http_port();

  auto anonymous = http(port, "GET", "/api/greeter/names/ada");
  EXPECT_EQ(anonymous.status, 401);
  auto forged = http(port, "GET", "/api/greeter/names/ada", {},
                     {{"X-Velocity-Customer", "c-1"}, {"X-Velocity-Edge-Key", "wrong"}});
  EXPECT_EQ(forged.status, 401);
  auto trusted =
      http(port, "GET", "/api/greeter/names/ada%20l?loud=yes%21", {},
           {{"X-Velocity-Customer", "c-1"}, {"X-Velocity-Edge-Key", service_->edge_key()}});
  EXPECT_EQ(trusted.status, 200);
  EXPECT_EQ(trusted.body["name"], "ada%20l");
  EXPECT_EQ(trusted.body["customer"], "c-1");
  EXPECT_EQ(trusted.body["loud"], "yes!");

  auto not_json = http(port, "POST", "/api/greeter/names", "{nope");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_TRUE(not_json.body.contains("error"));
  auto missing = http(port, "POST", "/api/greeter/names", R"({"other":1})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["field"], "name");
  EXPECT_EQ(http(port, "POST", "/api/greeter/names", R"({"name":"x"})").status, 201);
  EXPECT_EQ(http(port, "GET", "/healthz").status, 200);
  EXPECT_EQ(http(port, "GET", "/readyz").status, 200);
  EXPECT_EQ(http(port, "DELETE", "/api/greeter/names").status, 405);
}

#if VELOCITY_USE_JEMALLOC
// A process built on Service allocates through jemalloc: its statistics move when this process
// calls plain malloc (a linker that dropped the library would leave glibc's malloc in charge,
// and mallctl would then not see the allocation).
TEST(ServiceAllocator, MallocIsJemalloc) {
  const char* version = nullptr;
  size_t size = sizeof(version);
  ASSERT_EQ(mallctl("version", &version, &size, nullptr, 0), 0);
  EXPECT_EQ(std::string(version).substr(0, 2), "5.");

  auto allocated = [] {
    uint64_t epoch = 1;
    size_t epoch_size = sizeof(epoch);
    EXPECT_EQ(mallctl("epoch", &epoch, &epoch_size, &epoch, epoch_size), 0);
    size_t bytes = 0;
    size_t bytes_size = sizeof(bytes);
    EXPECT_EQ(mallctl("stats.allocated", &bytes, &bytes_size, nullptr, 0), 0);
    return bytes;
  };
  const size_t before = allocated();
  static void* volatile block = nullptr;  // volatile: the malloc/free pair cannot be elided
  block = std::malloc(64 << 20);
  ASSERT_NE(block, nullptr);
  EXPECT_GE(allocated(), before + (64 << 20));
  std::free(block);
}
#endif

TEST(ServiceConfigTest, ReadsTheEnvironmentAndNamesABadValue) {
  auto config = ServiceConfig::from_env("orders", "127.0.0.1:8084",
                                        env_of({{"VELOCITY_DATA_DIR", "/tmp/shop"},
                                                {"VELOCITY_HTTP_ADDR", "0.0.0.0:9001"},
                                                {"VELOCITY_RETRY_DELAYS", "100ms,2s"}}));
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->service_dir(), std::filesystem::path("/tmp/shop/orders"));
  EXPECT_EQ(config->http.port, 9001);
  ASSERT_EQ(config->retry.tier_delays.size(), 2u);
  EXPECT_EQ(config->retry.tier_delays[1], 2s);

  auto rejected = ServiceConfig::from_env("orders", "127.0.0.1:8084",
                                          env_of({{"VELOCITY_DB_DURABILITY", "sometimes"}}));
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message().find("VELOCITY_DB_DURABILITY"), std::string::npos);
}

TEST(ServiceConfigDatabaseUrl, IsEmptyByDefaultSoTheServiceUsesItsSqliteFile) {
  auto config = ServiceConfig::from_env("orders", "127.0.0.1:8084", env_of({}));
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->database_url, "");
}

TEST(ServiceConfigDatabaseUrl, TakesAPostgresUrl) {
  const std::string url = "postgresql://velocity@db.example:5432/orders?sslmode=require";
  auto config =
      ServiceConfig::from_env("orders", "127.0.0.1:8084", env_of({{"VELOCITY_DATABASE_URL", url}}));
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->database_url, url);
  auto short_scheme = ServiceConfig::from_env(
      "orders", "127.0.0.1:8084", env_of({{"VELOCITY_DATABASE_URL", "postgres:///orders"}}));
  ASSERT_TRUE(short_scheme) << short_scheme.error().message();
  EXPECT_EQ(short_scheme->database_url, "postgres:///orders");
}

TEST(ServiceConfigDatabaseUrl, RefusesAnythingButAPostgresUrlWithoutRepeatingIt) {
  for (const std::string bad :
       {"mysql://root:s3cret@db/orders", "var/orders.db", "sqlite:///x.db"}) {
    auto config = ServiceConfig::from_env("orders", "127.0.0.1:8084",
                                          env_of({{"VELOCITY_DATABASE_URL", bad}}));
    ASSERT_FALSE(config) << bad;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(config.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos);
    EXPECT_NE(config.error().message().find("postgresql://"), std::string::npos);
    EXPECT_EQ(config.error().message().find("s3cret"), std::string::npos);
  }
}

// Service::create with `database_url`, on no server; the service's data directory is removed.
Result<std::unique_ptr<Service>> create_on(const std::string& database_url,
                                           const std::filesystem::path& dir) {
  ServiceConfig config;
  config.name = "greeter";
  config.data_dir = dir;
  config.database_url = database_url;
  auto bus = std::make_shared<MemoryBus>();
  auto service = Service::create(config, bus, bus);
  std::filesystem::remove_all(dir);
  return service;
}

TEST(ServiceOnPostgres, AnUnreachableServerIsAClearErrorAtCreate) {
  const auto dir = temp_dir();
  // A unix socket in a directory that does not exist: nothing can answer there.
  auto service = create_on(
      "postgresql:///greeter?host=" + (dir / "no-server").string() + "&user=velocity", dir);
  ASSERT_FALSE(service);
  EXPECT_EQ(service.error().code, ErrorCode::kIo);
  EXPECT_NE(service.error().message().find("service greeter"), std::string::npos)
      << service.error().message();
  EXPECT_NE(service.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos)
      << service.error().message();
}

TEST(ServiceOnPostgres, AMalformedUrlIsAClearErrorAtCreate) {
  auto service = create_on("postgresql://velocity@db.example:notaport/greeter", temp_dir());
  ASSERT_FALSE(service);
  EXPECT_NE(service.error().message().find("VELOCITY_DATABASE_URL"), std::string::npos)
      << service.error().message();
}

TEST_F(ServiceOnPostgresServer, TheDatabaseIsPostgresAndNoSqliteFileIsCreated) {
  EXPECT_EQ(service_->db().dialect(), SqlDialect::kPostgres);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "greeter" / "greeter.db"));
}

}  // namespace
}  // namespace velocity
