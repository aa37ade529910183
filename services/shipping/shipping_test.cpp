#include "shipping/shipping.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "shop/events.h"
#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"
#include "toolkit/store/store_test_util.h"

namespace shipping {
namespace {

using namespace std::chrono_literals;
using velocity::Event;

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

const std::string kOrders(shop::topics::kOrders);
const std::string kShipping(shop::topics::kShipping);

shop::OrderPlaced placed(const std::string& id) {
  shop::OrderPlaced order;
  order.order_id = id;
  order.customer_id = "cus_ada";
  order.lines = {
      shop::OrderLine{"tee-classic-M-blk", "tee-classic", "Classic Crew Tee", "M", "Black", 2,
                      2500},
      shop::OrderLine{"tee-vneck-L-gry", "tee-vneck", "Everyday V-Neck", "L", "Grey", 1, 2200}};
  order.total_cents = 7200;
  return order;
}
shop::OrderConfirmed confirmed(const std::string& id) {
  return shop::OrderConfirmed{id, "cus_ada", 7200, "EUR"};
}
shop::OrderCancelled cancelled(const std::string& id) {
  return shop::OrderCancelled{id, "cus_ada", "customer_request", "You cancelled the order."};
}

// Every case runs on the embedded SQLite file and on a real PostgreSQL server
// (VELOCITY_DATABASE_URL), one fresh database per case.
class ShippingTest : public ::testing::TestWithParam<velocity::SqlDialect> {
 protected:
  void SetUp() override {
    if (GetParam() == velocity::SqlDialect::kPostgres) {
      auto url = velocity::testing::fresh_postgres_database();
      ASSERT_TRUE(url) << url.error().message();
      database_url_ = *url;
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-shipping-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<velocity::MemoryBus>();
    ASSERT_TRUE(bus_->create_topic(kOrders, 4));
    for (size_t tier = 1; tier <= 3; ++tier)
      ASSERT_TRUE(bus_->create_topic(velocity::retry_topic(kOrders, tier), 4));
    ASSERT_TRUE(bus_->create_topic(velocity::dead_letter_topic(kOrders), 4));
    ASSERT_TRUE(bus_->create_topic(kShipping, 4));
  }

  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A service on the test's data directory, installed but not started.
  void create(std::chrono::milliseconds dispatch_after, std::chrono::milliseconds deliver_after) {
    velocity::ServiceConfig config;
    config.name = "shipping";
    config.data_dir = dir_;
    config.database_url = database_url_;
    config.outbox_poll = 20ms;
    config.timer_poll = 20ms;
    config.shutdown_bound = 5s;
    config.retry.tier_delays = {100ms, 1s, 2s};
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ShippingOptions options;
    options.dispatch_after = dispatch_after;
    options.deliver_after = deliver_after;
    auto installed = install(*service_, options);
    ASSERT_TRUE(installed) << installed.error().message();
  }
  void start(std::chrono::milliseconds dispatch_after, std::chrono::milliseconds deliver_after) {
    create(dispatch_after, deliver_after);
    ASSERT_TRUE(service_->start());
    port_ = service_->http_port();
  }

  template <typename T>
  Event publish(const std::string& subject, const T& value) {
    return publish_event(velocity::make_event("/services/orders", subject, value));
  }
  Event publish_event(const Event& event) {
    auto message = velocity::to_message(event, kOrders);
    EXPECT_TRUE(message);
    EXPECT_TRUE(bus_->publish(*message));
    return event;
  }

  // Waits until shipping's consumer group has committed past `event` (its handler succeeded).
  bool handled(const Event& event) {
    return eventually([&] {
      for (const auto& m : bus_->messages(kOrders)) {
        if (m.header(velocity::kCeId) == event.id)
          return bus_->committed("shipping", kOrders, m.partition) > m.offset;
      }
      return false;
    });
  }

  // Every event shipping published, in order, as (type, event).
  std::vector<Event> published(const std::string& order_id) {
    std::vector<Event> out;
    for (const auto& m : bus_->messages(kShipping)) {
      auto event = velocity::from_message(m);
      if (event && event->subject == order_id) out.push_back(*event);
    }
    return out;
  }
  std::vector<std::string> types(const std::string& order_id) {
    std::vector<std::string> out;
    for (const auto& e : published(order_id)) out.push_back(e.type);
    return out;
  }
  template <typename T>
  std::optional<T> first(const std::string& order_id) {
    for (const auto& e : published(order_id)) {
      if (e.type == T::kType) return velocity::decode<T>(e).value();
    }
    return std::nullopt;
  }
  template <typename T>
  bool eventually_published(const std::string& order_id) {
    return eventually([&] { return first<T>(order_id).has_value(); });
  }

  Http track(const std::string& order_id, const std::string& customer = "cus_ada") {
    return http(port_, "GET", "/api/shipping/orders/" + order_id,
                {}, {{"X-Velocity-Customer", customer}, {"X-Velocity-Edge-Key", service_->edge_key()}});
  }

  std::filesystem::path dir_;
  std::string database_url_;  // empty: SQLite
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  uint16_t port_ = 0;
};

const std::string kScheduled(shop::ShipmentScheduled::kType);
const std::string kDispatched(shop::ShipmentDispatched::kType);
const std::string kDelivered(shop::ShipmentDelivered::kType);
const std::string kCancelled(shop::ShipmentCancelled::kType);

TEST_P(ShippingTest, AConfirmedOrderIsScheduledDispatchedWithItsLinesAndDelivered) {
  start(50ms, 50ms);
  publish("ord_1", placed("ord_1"));
  publish("ord_1", confirmed("ord_1"));
  ASSERT_TRUE(eventually_published<shop::ShipmentDelivered>("ord_1"));
  EXPECT_EQ(types("ord_1"), (std::vector{kScheduled, kDispatched, kDelivered}));

  const auto scheduled = *first<shop::ShipmentScheduled>("ord_1");
  const auto dispatched = *first<shop::ShipmentDispatched>("ord_1");
  const auto delivered = *first<shop::ShipmentDelivered>("ord_1");
  EXPECT_EQ(scheduled.customer_id, "cus_ada");
  EXPECT_EQ(scheduled.shipment_id.rfind("shp_", 0), 0u);
  EXPECT_FALSE(scheduled.carrier.empty());
  EXPECT_EQ(dispatched.shipment_id, scheduled.shipment_id);
  EXPECT_EQ(delivered.shipment_id, scheduled.shipment_id);
  EXPECT_EQ(dispatched.customer_id, "cus_ada");
  EXPECT_EQ(dispatched.tracking_number.size(), 14u);
  ASSERT_EQ(dispatched.lines.size(), 2u);
  EXPECT_EQ(dispatched.lines[0].sku, "tee-classic-M-blk");
  EXPECT_EQ(dispatched.lines[0].quantity, 2);
  EXPECT_EQ(dispatched.lines[1].sku, "tee-vneck-L-gry");
  EXPECT_EQ(dispatched.lines[1].quantity, 1);

  auto tracked = track("ord_1");
  ASSERT_EQ(tracked.status, 200);
  EXPECT_EQ(tracked.body["status"], "delivered");
  EXPECT_EQ(tracked.body["shipment_id"], scheduled.shipment_id);
  EXPECT_EQ(tracked.body["carrier"], scheduled.carrier);
  EXPECT_EQ(tracked.body["tracking_number"], dispatched.tracking_number);
  // Each step waits at least its delay after the one before.
  const auto at = [&](const char* field) {
    return velocity::parse_rfc3339(tracked.body[field].get<std::string>()).value();
  };
  EXPECT_GE(at("dispatched_at") - at("scheduled_at"), 50ms);
  EXPECT_GE(at("delivered_at") - at("dispatched_at"), 50ms);
}

TEST_P(ShippingTest, TrackingIsForTheOwningCustomerOnly) {
  start(1h, 1h);
  publish("ord_1", placed("ord_1"));
  publish("ord_1", confirmed("ord_1"));
  ASSERT_TRUE(eventually_published<shop::ShipmentScheduled>("ord_1"));
  auto mine = track("ord_1");
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.body["order_id"], "ord_1");
  EXPECT_EQ(mine.body["status"], "scheduled");
  EXPECT_TRUE(mine.body["tracking_number"].is_null());
  EXPECT_TRUE(mine.body["dispatched_at"].is_null());
  EXPECT_TRUE(mine.body["delivered_at"].is_null());
  EXPECT_EQ(track("ord_1", "cus_eve").status, 404);
  EXPECT_EQ(track("ord_unknown").status, 404);
  EXPECT_EQ(http(port_, "GET", "/api/shipping/orders/ord_1").status, 401);
  EXPECT_EQ(
      http(port_, "GET", "/api/shipping/orders/ord_1", {}, {{"X-Velocity-Customer", "cus_ada"}}).status,
      401);
}

TEST_P(ShippingTest, ACancelBeforeDispatchCallsTheShipmentOff) {
  start(1h, 1h);
  publish("ord_1", placed("ord_1"));
  publish("ord_1", confirmed("ord_1"));
  ASSERT_TRUE(eventually_published<shop::ShipmentScheduled>("ord_1"));
  publish("ord_1", cancelled("ord_1"));
  ASSERT_TRUE(eventually_published<shop::ShipmentCancelled>("ord_1"));
  const auto event = *first<shop::ShipmentCancelled>("ord_1");
  EXPECT_EQ(event.shipment_id, first<shop::ShipmentScheduled>("ord_1")->shipment_id);
  EXPECT_EQ(event.customer_id, "cus_ada");
  EXPECT_EQ(track("ord_1").body["status"], "cancelled");
  auto due = service_->sagas().next_due();
  ASSERT_TRUE(due);
  EXPECT_FALSE(due->has_value()) << "the dispatch timer is gone";

  // A second cancel changes nothing.
  const auto again = publish("ord_1", cancelled("ord_1"));
  ASSERT_TRUE(handled(again));
  EXPECT_EQ(types("ord_1"), (std::vector{kScheduled, kCancelled}));
}

TEST_P(ShippingTest, ACancelAfterDispatchIsTooLateAndTheShipmentGoesOn) {
  start(50ms, 1h);
  publish("ord_1", placed("ord_1"));
  publish("ord_1", confirmed("ord_1"));
  ASSERT_TRUE(eventually_published<shop::ShipmentDispatched>("ord_1"));
  const auto cancel = publish("ord_1", cancelled("ord_1"));
  ASSERT_TRUE(handled(cancel));
  EXPECT_EQ(types("ord_1"), (std::vector{kScheduled, kDispatched}));
  EXPECT_EQ(track("ord_1").body["status"], "dispatched");
  auto tx = service_->db().begin();
  auto row = tx->query("SELECT late_cancel_ms FROM shipment WHERE order_id = 'ord_1'");
  ASSERT_TRUE(row && row->next().value_or(false));
  EXPECT_FALSE(row->is_null(0)) << "the late cancel is on record";
  auto timers = tx->query("SELECT name FROM velocity_saga_timer WHERE saga_id = 'ord_1'");
  ASSERT_TRUE(timers && timers->next().value_or(false));
  EXPECT_EQ(timers->text(0), "deliver");
}

TEST_P(ShippingTest, AnOrderCancelledBeforeConfirmationIsNeverScheduled) {
  start(50ms, 50ms);
  publish("ord_1", placed("ord_1"));
  publish("ord_1", cancelled("ord_1"));
  const auto confirm = publish("ord_1", confirmed("ord_1"));
  ASSERT_TRUE(handled(confirm));
  EXPECT_TRUE(published("ord_1").empty());
  EXPECT_EQ(track("ord_1").status, 404);
}

TEST_P(ShippingTest, ATimerDueWhileTheServiceWasDownFiresAfterARestart) {
  start(1h, 50ms);
  publish("ord_1", placed("ord_1"));
  publish("ord_1", confirmed("ord_1"));
  ASSERT_TRUE(eventually_published<shop::ShipmentScheduled>("ord_1"));
  service_.reset();  // stops the process's service: consumers, timers, relay

  // An hour passes while it is down: the stored dispatch time is now in the past.
  create(1h, 50ms);
  {
    auto tx = service_->db().begin();
    ASSERT_TRUE(tx);
    auto moved = tx->execute(
        "UPDATE velocity_saga_timer SET due_ms = due_ms - 3600000 WHERE saga_id = 'ord_1'");
    ASSERT_TRUE(moved);
    ASSERT_EQ(*moved, 1) << "the dispatch timer survived the restart";
    ASSERT_TRUE(tx->commit());
  }
  ASSERT_TRUE(service_->start());
  ASSERT_TRUE(eventually_published<shop::ShipmentDelivered>("ord_1"));
  EXPECT_EQ(types("ord_1"), (std::vector{kScheduled, kDispatched, kDelivered}));
  EXPECT_EQ(first<shop::ShipmentDispatched>("ord_1")->shipment_id,
            first<shop::ShipmentScheduled>("ord_1")->shipment_id);
}

TEST_P(ShippingTest, RedeliveredEventsHaveNoSecondEffect) {
  start(50ms, 50ms);
  const auto place = publish("ord_1", placed("ord_1"));
  publish_event(place);
  auto other_lines = placed("ord_1");
  other_lines.lines.resize(1);
  publish("ord_1", other_lines);  // placed again with other lines: the first lines stand
  const auto confirm = publish("ord_1", confirmed("ord_1"));
  publish_event(confirm);
  const auto again = publish("ord_1", confirmed("ord_1"));  // a new event id, the same order
  ASSERT_TRUE(handled(again));
  ASSERT_TRUE(eventually_published<shop::ShipmentDelivered>("ord_1"));
  const auto cancel = publish("ord_1", cancelled("ord_1"));
  ASSERT_TRUE(handled(cancel));
  EXPECT_EQ(types("ord_1"), (std::vector{kScheduled, kDispatched, kDelivered}));
  EXPECT_EQ(first<shop::ShipmentDispatched>("ord_1")->lines.size(), 2u);
}

TEST_P(ShippingTest, AConfirmationBeforeItsPlacementWaitsForTheLines) {
  start(50ms, 50ms);
  publish("ord_1", confirmed("ord_1"));
  publish("ord_1", placed("ord_1"));
  ASSERT_TRUE(eventually_published<shop::ShipmentDispatched>("ord_1"));
  EXPECT_EQ(first<shop::ShipmentDispatched>("ord_1")->lines.size(), 2u);
  EXPECT_TRUE(bus_->messages(velocity::dead_letter_topic(kOrders)).empty());
}

TEST_P(ShippingTest, EventsBreakingTheContractAreDeadLettered) {
  start(50ms, 50ms);
  publish("", confirmed(""));
  auto bad = placed("ord_1");
  bad.lines[0].quantity = 0;
  publish("ord_1", bad);
  ASSERT_TRUE(
      eventually([&] { return bus_->messages(velocity::dead_letter_topic(kOrders)).size() == 2; }));
  EXPECT_TRUE(bus_->messages(kShipping).empty());
}

TEST(ShippingOptionsTest, ReadsTheDelaysFromTheEnvironmentAndNamesABadOne) {
  auto defaults = ShippingOptions::from_env(
      velocity::config::Env([](std::string_view) { return std::nullopt; }));
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->dispatch_after, 5s);
  EXPECT_EQ(defaults->deliver_after, 10s);

  auto set = ShippingOptions::from_env(
      velocity::config::Env([](std::string_view name) -> std::optional<std::string> {
        if (name == "VELOCITY_SHIPPING_DISPATCH_AFTER") return "50ms";
        if (name == "VELOCITY_SHIPPING_DELIVER_AFTER") return "2m";
        return std::nullopt;
      }));
  ASSERT_TRUE(set);
  EXPECT_EQ(set->dispatch_after, 50ms);
  EXPECT_EQ(set->deliver_after, 2min);

  auto bad = ShippingOptions::from_env(
      velocity::config::Env([](std::string_view name) -> std::optional<std::string> {
        if (name == "VELOCITY_SHIPPING_DELIVER_AFTER") return "soon";
        return std::nullopt;
      }));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("VELOCITY_SHIPPING_DELIVER_AFTER"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, ShippingTest,
                         ::testing::Values(velocity::SqlDialect::kSqlite, velocity::SqlDialect::kPostgres),
                         velocity::testing::engine_name);

}  // namespace
}  // namespace shipping
