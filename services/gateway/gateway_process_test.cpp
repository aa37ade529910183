// The real velocity-gateway executable against a real velocity-broker: events published with
// KafkaBus reach the right browser's event stream, and SIGTERM ends the process cleanly,
// leaving no consumer group behind.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/test_client.h"
#include "shop/session_token.h"
#include "support/broker_process.h"
#include "support/child_process.h"
#include "support/net.h"
#include "support/temp_dir.h"
#include "velocity/event.h"
#include "velocity/kafka_bus.h"

namespace velocity::gateway {
namespace {

using testing::SseEvent;
using testing::SseReader;
using testing::TestClient;

const config::Env kNoEnv([](std::string_view) { return std::optional<std::string>(); });

// The consumer groups on the broker whose names start with `prefix` (ListGroups).
std::vector<std::string> groups_named(const std::string& bootstrap, const std::string& prefix) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  EXPECT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  EXPECT_NE(client, nullptr) << err;
  std::vector<std::string> names;
  if (client == nullptr) return names;
  const rd_kafka_group_list* list = nullptr;
  const rd_kafka_resp_err_t listed = rd_kafka_list_groups(client, nullptr, &list, 10000);
  EXPECT_EQ(listed, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(listed);
  if (listed == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->group_cnt; ++i) {
      const std::string name = list->groups[i].group;
      if (name.starts_with(prefix)) names.push_back(name);
    }
    rd_kafka_group_list_destroy(list);
  }
  rd_kafka_destroy(client);
  return names;
}

Message order_message(const std::string& customer, const std::string& type, nlohmann::json data) {
  Event event;
  event.id = new_event_id();
  event.source = "/services/orders";
  event.type = type;
  event.subject = customer;
  event.time = std::chrono::system_clock::now();
  event.data = std::move(data);
  event.data["customer_id"] = customer;
  auto message = to_message(event, "shop.orders");
  EXPECT_TRUE(message);
  message->key = customer;  // one partition per customer: their events stay in order
  return *message;
}

std::string event_id(const SseEvent& event) {
  return nlohmann::json::parse(event.data)["id"];
}

TEST(GatewayProcess, StreamsBrokerEventsToTheRightBrowserAndStopsCleanlyOnSigterm) {
  // A group join that takes 1.5 s, as on a broker shared by many services: the gateway is
  // ready before its consumer has partitions, and must still see what is published from then on.
  auto broker =
      velocity::testing::BrokerProcess::start({"--group-initial-rebalance-delay-ms", "1500"});
  ASSERT_TRUE(broker) << broker.error().message();
  auto dir = velocity::testing::TempDir::create("gateway-process");
  ASSERT_TRUE(dir) << dir.error().message();
  const auto data_dir = dir->path() / "data";
  auto keys = shop::load_signing_keys(data_dir, kNoEnv);
  ASSERT_TRUE(keys) << keys.error().message();
  std::filesystem::create_directories(dir->path() / "web");
  std::ofstream(dir->path() / "web" / "index.html") << "<!doctype html><title>Velocity</title>";
  auto port = velocity::testing::free_tcp_port();
  auto orders_port = velocity::testing::free_tcp_port();  // nothing listens there
  ASSERT_TRUE(port && orders_port);

  auto gateway = velocity::testing::ChildProcess::spawn(
      {"env", "VELOCITY_BROKERS=" + (*broker)->bootstrap(),
       "VELOCITY_HTTP_ADDR=127.0.0.1:" + std::to_string(*port),
       "VELOCITY_DATA_DIR=" + data_dir.string(),
       "VELOCITY_WEB_DIR=" + (dir->path() / "web").string(),
       "VELOCITY_ORDERS_ADDR=127.0.0.1:" + std::to_string(*orders_port),
       "VELOCITY_TOPIC_PARTITIONS=2", "VELOCITY_SESSION_PUBLIC_KEY=", "VELOCITY_EDGE_KEY=",
       "VELOCITY_LOG_FORMAT=text", VELOCITY_GATEWAY_EXECUTABLE},
      dir->path() / "gateway.out", dir->path() / "gateway.err");
  ASSERT_TRUE(gateway) << gateway.error().message();

  // Ready once it consumes the public topics.
  bool ready = false;
  for (int attempt = 0; attempt < 600 && !ready && (*gateway)->running(); ++attempt) {
    TestClient probe(*port);
    if (probe.connected()) {
      auto answer = probe.get("/readyz");
      ready = answer && answer->result() == http::status::ok;
    }
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready) << (*gateway)->stderr_tail();

  TestClient browser(*port);
  auto page = browser.get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->body(), "<!doctype html><title>Velocity</title>");
  auto orders = browser.get("/api/orders");
  ASSERT_TRUE(orders);
  EXPECT_EQ(orders->result(), http::status::service_unavailable) << "no orders service is running";

  SseReader alice(*port);
  ASSERT_EQ(alice.open("/api/events",
                       {{"Authorization",
                         "Bearer " + shop::issue_token(*keys, "alice", std::chrono::hours(1))}}),
            200u);
  SseReader bob(*port);
  ASSERT_EQ(bob.open("/api/events?token=" + shop::issue_token(*keys, "bob", std::chrono::hours(1))),
            200u);

  KafkaBusConfig bus_config;
  bus_config.bootstrap_servers = (*broker)->bootstrap();
  auto bus = KafkaBus::connect(bus_config);
  ASSERT_TRUE(bus) << bus.error().message();

  // Published right after /readyz, while the gateway's group is still joining.
  std::vector<std::string> published;
  std::string bobs;
  for (int i = 0; i < 5; ++i) {
    const Message message =
        order_message("alice", "shop.order.confirmed.v1", {{"order_id", "o-" + std::to_string(i)}});
    published.push_back(std::string(*message.header(kCeId)));
    ASSERT_TRUE((*bus)->publish(message));
    if (i == 2) {
      const Message for_bob = order_message("bob", "shop.order.placed.v1", {{"order_id", "o-bob"}});
      bobs = std::string(*for_bob.header(kCeId));
      ASSERT_TRUE((*bus)->publish(for_bob));
    }
  }
  // Exactly Alice's events, in order, none lost to the group's join.
  std::vector<std::string> received;
  for (int reads = 0; reads < 100 && received.size() < published.size(); ++reads) {
    received.clear();
    for (const auto& event : alice.read_events(published.size(), std::chrono::milliseconds(200)))
      received.push_back(event_id(event));
  }
  EXPECT_EQ(received, published) << (*gateway)->stderr_tail();
  const auto bob_events = bob.read_events(1);
  ASSERT_EQ(bob_events.size(), 1u);
  EXPECT_EQ(event_id(bob_events[0]), bobs);

  EXPECT_EQ(groups_named((*broker)->bootstrap(), "gateway-").size(), 1u) << "the feed's own group";

  auto exit_code = (*gateway)->terminate(std::chrono::seconds(30));
  ASSERT_TRUE(exit_code) << exit_code.error().message();
  EXPECT_EQ(*exit_code, 0) << (*gateway)->stderr_tail();
  EXPECT_EQ(groups_named((*broker)->bootstrap(), "gateway-"), std::vector<std::string>{})
      << "a stopped gateway deletes its group";
  EXPECT_TRUE(alice.wait_ended());
  EXPECT_TRUE(alice.ended_cleanly()) << "SIGTERM ends event streams with their last chunk";
  EXPECT_EQ(bob.read_events(2, std::chrono::milliseconds(200)).size(), 1u)
      << "none of Alice's events";
}

}  // namespace
}  // namespace velocity::gateway
