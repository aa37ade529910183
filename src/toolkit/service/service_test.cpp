#include "velocity/service.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

struct Greeting {
  static constexpr std::string_view kType = "test.greeting.v1";
  std::string name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Greeting, name)

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("velocity-service-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<MemoryBus>();
    ASSERT_TRUE(bus_->create_topic("greetings", 2));
    ASSERT_TRUE(bus_->create_topic("replies", 2));
    ServiceConfig config;
    config.name = "greeter";
    config.data_dir = dir_;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    auto service = Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ASSERT_TRUE(service_->migrate("CREATE TABLE IF NOT EXISTS greeted (name TEXT PRIMARY KEY, times INTEGER)"));
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

TEST_F(ServiceTest, AnEventEmittedInACommittedTransactionIsPublishedAsACloudEvent) {
  ASSERT_TRUE(service_->start());
  auto tx = service_->db().begin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE(tx->execute("INSERT INTO greeted VALUES ('ada', 0)"));
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

TEST_F(ServiceTest, ARolledBackTransactionPublishesNothing) {
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

TEST_F(ServiceTest, AnEventDeliveredTwiceHasOneEffectAndItsReplyIsEmittedOnce) {
  service_->on<Greeting>("greetings", [&](Transaction& tx, const Greeting& g, const Event&) -> Result<void> {
    auto updated = tx.execute(
        "INSERT INTO greeted VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET times = times + 1", g.name);
    if (!updated) return std::unexpected(updated.error());
    auto reply = service_->emit(tx, "replies", g.name, Greeting{"hello " + g.name});
    if (!reply) return std::unexpected(reply.error());
    return {};
  });
  ASSERT_TRUE(service_->start());

  const Event event = make_event("/test", "grace", Greeting{"grace"});
  auto message = to_message(event, "greetings");
  ASSERT_TRUE(message);
  ASSERT_TRUE(bus_->publish(*message));
  ASSERT_TRUE(bus_->publish(*message));  // the same event id again: a redelivery
  ASSERT_TRUE(eventually([&] { return bus_->messages("replies").size() >= 1; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(times_greeted("grace"), 1);
  EXPECT_EQ(bus_->messages("replies").size(), 1u);
}

TEST_F(ServiceTest, RoutesTakePathParametersAndOnlyTrustTheCustomerHeaderWithTheEdgeKey) {
  service_->route("GET", "/api/greeter/names/{name}", [&](const ops::HttpRequest& request) {
    auto customer = service_->customer(request);
    if (!customer) return customer.error();
    return json_response(200, {{"name", request.param("name")}, {"customer", *customer},
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
  auto trusted = http(port, "GET", "/api/greeter/names/ada%20l?loud=yes%21", {},
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

TEST_F(ServiceTest, ADueTimerRunsItsHandlerAndItsEventsArePublished) {
  service_->on_timer([&](Transaction& tx, const SagaTimer& timer) -> Result<void> {
    auto reply = service_->emit(tx, "replies", timer.saga_id, Greeting{timer.name});
    if (!reply) return std::unexpected(reply.error());
    return {};
  });
  ASSERT_TRUE(service_->start());
  auto tx = service_->db().begin();
  ASSERT_TRUE(service_->sagas().schedule(*tx, "s-1", std::chrono::system_clock::now() + 50ms, "wake"));
  ASSERT_TRUE(service_->commit(*tx));
  ASSERT_TRUE(eventually([&] { return bus_->messages("replies").size() == 1; }));
  auto event = from_message(bus_->messages("replies").front());
  ASSERT_TRUE(event);
  EXPECT_EQ(event->subject, "s-1");
  EXPECT_EQ(event->data["name"], "wake");
}

TEST(ServiceConfigTest, ReadsTheEnvironmentAndNamesABadValue) {
  config::Env env([](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_DATA_DIR") return "/tmp/shop";
    if (name == "VELOCITY_HTTP_ADDR") return "0.0.0.0:9001";
    if (name == "VELOCITY_RETRY_DELAYS") return "100ms,2s";
    return std::nullopt;
  });
  auto config = ServiceConfig::from_env("orders", "127.0.0.1:8084", env);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->service_dir(), std::filesystem::path("/tmp/shop/orders"));
  EXPECT_EQ(config->http.port, 9001);
  ASSERT_EQ(config->retry.tier_delays.size(), 2u);
  EXPECT_EQ(config->retry.tier_delays[1], 2s);

  config::Env bad([](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_DB_DURABILITY") return "sometimes";
    return std::nullopt;
  });
  auto rejected = ServiceConfig::from_env("orders", "127.0.0.1:8084", bad);
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message().find("VELOCITY_DB_DURABILITY"), std::string::npos);
}

}  // namespace
}  // namespace velocity
