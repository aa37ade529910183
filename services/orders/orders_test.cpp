// The orders service driven as the store drives it: its real HTTP routes, and the events of
// catalog, inventory, payments and shipping published on an in-memory bus.
#include "orders/orders.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <thread>

#include "shop/events.h"
#include "shop/seed.h"
#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"
#include "toolkit/store/store_test_util.h"

namespace orders {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using velocity::Event;

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

std::vector<std::string> statuses(const json& order) {
  std::vector<std::string> out;
  for (const auto& entry : order["history"]) out.push_back(entry["status"].get<std::string>());
  return out;
}

// Every case runs on the embedded SQLite file and on a real PostgreSQL server
// (VELOCITY_DATABASE_URL), one fresh database per case.
class OrdersTest : public ::testing::TestWithParam<velocity::SqlDialect> {
 protected:
  void SetUp() override {
    if (GetParam() == velocity::SqlDialect::kPostgres) {
      auto url = velocity::testing::fresh_postgres_database();
      ASSERT_TRUE(url) << url.error().message();
      database_url_ = *url;
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-orders-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<velocity::MemoryBus>();
    for (auto topic : {shop::topics::kCatalog, shop::topics::kInventory, shop::topics::kPayments,
                       shop::topics::kShipping}) {
      const std::string name(topic);
      ASSERT_TRUE(bus_->create_topic(name, 2));
      for (size_t tier = 1; tier <= 3; ++tier)
        ASSERT_TRUE(bus_->create_topic(velocity::retry_topic(name, tier), 2));
      ASSERT_TRUE(bus_->create_topic(velocity::dead_letter_topic(name), 2));
    }
    ASSERT_TRUE(bus_->create_topic(std::string(shop::topics::kOrders), 2));

    velocity::ServiceConfig config;
    config.name = "orders";
    config.data_dir = dir_;
    config.database_url = database_url_;
    config.outbox_poll = 20ms;
    config.timer_poll = 20ms;
    config.shutdown_bound = 5s;
    config.retry.tier_delays = {50ms, 50ms, 50ms};
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ASSERT_TRUE(install(*service_, options_));
    ASSERT_TRUE(service_->start());

    product_ = shop::seed_products().front();
    publish(shop::topics::kCatalog, product_.product_id, shop::ProductAdded{product_});
    ASSERT_TRUE(
        eventually([&] { return known_skus() == static_cast<int64_t>(product_.skus.size()); }));
  }

  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  // --- events ------------------------------------------------------------------------------
  template <typename T>
  Event publish(std::string_view topic, const std::string& subject, const T& value) {
    auto event = velocity::make_event("/services/test", subject, value);
    redeliver(topic, event);
    return event;
  }
  void redeliver(std::string_view topic, const Event& event) {
    auto message = velocity::to_message(event, std::string(topic));
    ASSERT_TRUE(message);
    ASSERT_TRUE(bus_->publish(*message));
  }
  std::vector<Event> events(std::string_view topic) const {
    std::vector<Event> out;
    for (const auto& message : bus_->messages(std::string(topic))) {
      auto event = velocity::from_message(message);
      if (event) out.push_back(*event);
    }
    return out;
  }
  std::vector<Event> order_events(const std::string& order_id) const {
    std::vector<Event> out;
    for (auto& event : events(shop::topics::kOrders)) {
      if (event.subject == order_id) out.push_back(event);
    }
    return out;
  }
  static std::vector<std::string> types(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& event : events) out.push_back(event.type);
    return out;
  }
  // Waits until orders has handled (and committed) every message published on `topic`.
  bool drained(std::string_view topic) {
    return eventually([&] {
      std::map<int32_t, int64_t> end;
      for (const auto& message : bus_->messages(std::string(topic)))
        end[message.partition] = message.offset + 1;
      for (const auto& [partition, offset] : end) {
        if (bus_->committed("orders", std::string(topic), partition) < offset) return false;
      }
      return true;
    });
  }
  // Places an order for another customer and waits for its OrderPlaced: the outbox publishes
  // in commit order, so every event committed before is on the bus by then.
  void flush_outbox() {
    const auto marker = place("cus_marker", "marker-" + std::to_string(++markers_));
    ASSERT_TRUE(eventually([&] { return !order_events(marker).empty(); }));
  }

  // --- HTTP --------------------------------------------------------------------------------
  std::vector<std::pair<std::string, std::string>> as(const std::string& customer) const {
    return {{"X-Velocity-Customer", customer}, {"X-Velocity-Edge-Key", service_->edge_key()}};
  }
  // Two lines of the test product at `unit_price_cents` (default: the catalogue's price).
  json checkout_body(int64_t unit_price_cents = -1,
                     const std::string& card = "4242 4242 4242 4242") const {
    const auto price = unit_price_cents < 0 ? product_.price_cents : unit_price_cents;
    return {{"lines",
             {{{"sku", product_.skus[0].sku}, {"quantity", 2}, {"unit_price_cents", price}},
              {{"sku", product_.skus[1].sku}, {"quantity", 1}, {"unit_price_cents", price}}}},
            {"card", {{"number", card}, {"holder", "Ada Lovelace"}}},
            {"ship_to",
             {{"line1", "1 Analytical Row"},
              {"city", "London"},
              {"postcode", "N1 7AA"},
              {"country", "GB"}}}};
  }
  Http checkout(const std::string& customer, const std::string& key, const json& body) {
    auto headers = as(customer);
    if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
    return http(service_->http_port(), "POST", "/api/orders/checkout", body.dump(), headers);
  }
  std::string place(const std::string& customer = "cus_ada", const std::string& key = "key-1") {
    auto placed = checkout(customer, key, checkout_body());
    EXPECT_EQ(placed.status, 201) << placed.body.dump();
    return placed.body.value("order_id", "");
  }
  Http get(const std::string& customer, const std::string& order_id) {
    return http(service_->http_port(), "GET", "/api/orders/" + order_id, {}, as(customer));
  }
  Http cancel(const std::string& customer, const std::string& order_id) {
    return http(service_->http_port(), "POST", "/api/orders/" + order_id + "/cancel", {},
                as(customer));
  }
  json wait_for(const std::string& order_id, const std::string& status,
                const std::string& customer = "cus_ada") {
    json last;
    eventually([&] {
      last = get(customer, order_id).body;
      return last.value("status", "") == status;
    });
    EXPECT_EQ(last.value("status", ""), status) << last.dump();
    return last;
  }

  // --- the other services' events for an order --------------------------------------------
  Event reserve(const std::string& order_id) {
    return publish(shop::topics::kInventory, order_id,
                   shop::StockReserved{order_id,
                                       "cus_ada",
                                       {{product_.skus[0].sku, 2}},
                                       3 * product_.price_cents,
                                       "EUR",
                                       {"4242424242424242", "Ada"},
                                       {}});
  }
  Event authorize(const std::string& order_id) {
    return publish(shop::topics::kPayments, order_id,
                   shop::PaymentAuthorized{order_id, "cus_ada", "pay_1", 3 * product_.price_cents,
                                           "EUR", "4242"});
  }
  Event schedule(const std::string& order_id) {
    return publish(shop::topics::kShipping, order_id,
                   shop::ShipmentScheduled{order_id, "cus_ada", "shp_1", "Velocity Post"});
  }
  Event dispatch(const std::string& order_id) {
    return publish(shop::topics::kShipping, order_id,
                   shop::ShipmentDispatched{
                       order_id, "cus_ada", "shp_1", "VP123", {{product_.skus[0].sku, 2}}});
  }
  Event deliver(const std::string& order_id) {
    return publish(shop::topics::kShipping, order_id,
                   shop::ShipmentDelivered{order_id, "cus_ada", "shp_1"});
  }

  // Drives an order along the happy path up to `status`, one confirmed step at a time (the
  // real services only answer each other's events, so their steps never overtake each other).
  void advance_to(const std::string& order_id, const std::string& status) {
    const std::vector<std::pair<std::string, std::function<Event(const std::string&)>>> steps = {
        {"reserved", [&](const std::string& id) { return reserve(id); }},
        {"confirmed", [&](const std::string& id) { return authorize(id); }},
        {"scheduled", [&](const std::string& id) { return schedule(id); }},
        {"dispatched", [&](const std::string& id) { return dispatch(id); }},
        {"completed", [&](const std::string& id) { return deliver(id); }},
    };
    for (const auto& [reached, step] : steps) {
      step(order_id);
      wait_for(order_id, reached);
      if (reached == status) return;
    }
  }

  int64_t known_skus() {
    auto tx = service_->db().begin();
    if (!tx) return -1;
    auto row = tx->query("SELECT COUNT(*) FROM catalogue_sku");
    if (!row || !*row->next()) return -1;
    return row->int64(0);
  }
  int64_t pending_timers(const std::string& order_id) {
    auto tx = service_->db().begin();
    if (!tx) return -1;
    auto row = tx->query("SELECT COUNT(*) FROM velocity_saga_timer WHERE saga_id = ?", order_id);
    if (!row || !*row->next()) return -1;
    return row->int64(0);
  }

  OrdersOptions options_;
  std::filesystem::path dir_;
  std::string database_url_;  // empty: SQLite
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  shop::Product product_;
  int markers_ = 0;
};

TEST_P(OrdersTest, CheckoutStoresThePlacedOrderAndEmitsOrderPlacedWithTheCatalogueLines) {
  auto placed = checkout("cus_ada", "key-1", checkout_body());
  ASSERT_EQ(placed.status, 201) << placed.body.dump();
  const auto order_id = placed.body["order_id"].get<std::string>();
  EXPECT_EQ(order_id.rfind("ord_", 0), 0u);
  EXPECT_EQ(placed.body["customer_id"], "cus_ada");
  EXPECT_EQ(placed.body["status"], "placed");
  EXPECT_EQ(placed.body["total_cents"], 3 * product_.price_cents);
  EXPECT_EQ(placed.body["currency"], "EUR");
  EXPECT_EQ(placed.body["cancel_reason_code"], "");
  EXPECT_EQ(statuses(placed.body), std::vector<std::string>{"placed"});
  ASSERT_EQ(placed.body["lines"].size(), 2u);
  EXPECT_EQ(placed.body["lines"][0]["name"], product_.name);
  EXPECT_EQ(placed.body["lines"][0]["size"], product_.skus[0].size);
  EXPECT_EQ(placed.body["lines"][0]["colour"], product_.skus[0].colour);
  EXPECT_EQ(placed.body["lines"][0]["quantity"], 2);

  ASSERT_TRUE(eventually([&] { return order_events(order_id).size() == 1; }));
  const auto event = order_events(order_id).front();
  ASSERT_EQ(event.type, shop::OrderPlaced::kType);
  const auto data = event.data.get<shop::OrderPlaced>();
  EXPECT_EQ(data.customer_id, "cus_ada");
  EXPECT_EQ(data.total_cents, 3 * product_.price_cents);
  EXPECT_EQ(data.card.number, "4242424242424242");
  EXPECT_EQ(data.card.holder, "Ada Lovelace");
  EXPECT_EQ(data.ship_to.city, "London");
  ASSERT_EQ(data.lines.size(), 2u);
  EXPECT_EQ(data.lines[1].sku, product_.skus[1].sku);
  EXPECT_EQ(data.lines[1].product_id, product_.product_id);

  auto fetched = get("cus_ada", order_id);
  EXPECT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.body["order_id"], order_id);
}

TEST_P(OrdersTest, TheHappyPathRunsToCompletedWithPlacedConfirmedCompletedOnShopOrders) {
  const auto order_id = place();
  advance_to(order_id, "completed");
  const auto done = get("cus_ada", order_id).body;

  EXPECT_EQ(statuses(done),
            (std::vector<std::string>{"placed", "reserved", "confirmed", "scheduled", "dispatched",
                                      "delivered", "completed"}));
  for (const auto& entry : done["history"]) EXPECT_FALSE(entry["at"].get<std::string>().empty());
  ASSERT_TRUE(eventually([&] { return order_events(order_id).size() == 3; }));
  flush_outbox();
  const auto published = order_events(order_id);
  EXPECT_EQ(types(published), (std::vector<std::string>{std::string(shop::OrderPlaced::kType),
                                                        std::string(shop::OrderConfirmed::kType),
                                                        std::string(shop::OrderCompleted::kType)}));
  const auto confirmed = published[1].data.get<shop::OrderConfirmed>();
  EXPECT_EQ(confirmed.customer_id, "cus_ada");
  EXPECT_EQ(confirmed.total_cents, 3 * product_.price_cents);
  EXPECT_EQ(published[2].data.get<shop::OrderCompleted>().order_id, order_id);
}

TEST_P(OrdersTest, StockRejectedCancelsTheOrderNamingTheItemThatIsOutOfStock) {
  const auto order_id = place();
  publish(
      shop::topics::kInventory, order_id,
      shop::StockRejected{order_id, "cus_ada", {{product_.skus[1].sku, 1}}, "insufficient stock"});
  const auto cancelled = wait_for(order_id, "cancelled");
  const auto expected =
      "Sorry, " + product_.name + " (" + product_.skus[1].size + ") is out of stock.";
  EXPECT_EQ(cancelled["cancel_reason_code"], "out_of_stock");
  EXPECT_EQ(cancelled["cancel_reason"], expected);
  EXPECT_EQ(statuses(cancelled), (std::vector<std::string>{"placed", "cancelled"}));

  ASSERT_TRUE(eventually([&] { return order_events(order_id).size() == 2; }));
  const auto event = order_events(order_id)[1];
  ASSERT_EQ(event.type, shop::OrderCancelled::kType);
  const auto data = event.data.get<shop::OrderCancelled>();
  EXPECT_EQ(data.reason_code, "out_of_stock");
  EXPECT_EQ(data.reason, expected);
  EXPECT_EQ(data.customer_id, "cus_ada");
}

TEST_P(OrdersTest, ADeclinedPaymentCancelsTheOrderWithTheDeclineReason) {
  const auto order_id = place();
  reserve(order_id);
  wait_for(order_id, "reserved");
  publish(shop::topics::kPayments, order_id,
          shop::PaymentDeclined{order_id, "cus_ada", "Insufficient funds.", "9995"});
  const auto cancelled = wait_for(order_id, "cancelled");
  EXPECT_EQ(cancelled["cancel_reason_code"], "payment_declined");
  EXPECT_EQ(cancelled["cancel_reason"], "Insufficient funds.");
  EXPECT_EQ(statuses(cancelled), (std::vector<std::string>{"placed", "reserved", "cancelled"}));
  ASSERT_TRUE(eventually([&] { return order_events(order_id).size() == 2; }));
  const auto data = order_events(order_id)[1].data.get<shop::OrderCancelled>();
  EXPECT_EQ(data.reason_code, "payment_declined");
  EXPECT_EQ(data.reason, "Insufficient funds.");
}

TEST_P(OrdersTest, ACustomerCancelsBeforeDispatchAndLaterShippingEventsOnlyReachTheHistory) {
  const auto order_id = place();
  advance_to(order_id, "scheduled");

  auto cancelled = cancel("cus_ada", order_id);
  ASSERT_EQ(cancelled.status, 202) << cancelled.body.dump();
  EXPECT_EQ(cancelled.body["status"], "cancelled");
  EXPECT_EQ(cancelled.body["cancel_reason_code"], "customer_request");
  EXPECT_EQ(cancelled.body["cancel_reason"], "Cancelled at your request.");
  ASSERT_TRUE(eventually([&] { return order_events(order_id).size() == 3; }));
  const auto event = order_events(order_id)[2];
  ASSERT_EQ(event.type, shop::OrderCancelled::kType);
  EXPECT_EQ(event.data.get<shop::OrderCancelled>().reason_code, "customer_request");
  EXPECT_EQ(event.data.get<shop::OrderCancelled>().reason, "Cancelled at your request.");

  // The carrier raced the cancel: the parcel left anyway. The order stays cancelled.
  dispatch(order_id);
  deliver(order_id);
  ASSERT_TRUE(drained(shop::topics::kShipping));
  const auto after = get("cus_ada", order_id).body;
  EXPECT_EQ(after["status"], "cancelled");
  EXPECT_EQ(statuses(after),
            (std::vector<std::string>{"placed", "reserved", "confirmed", "scheduled", "cancelled",
                                      "dispatched", "delivered"}));
  EXPECT_NE(after["history"][5]["detail"].get<std::string>().find("after the order was cancelled"),
            std::string::npos);

  EXPECT_EQ(cancel("cus_ada", order_id).status, 409);
  flush_outbox();
  EXPECT_EQ(order_events(order_id).size(), 3u);  // no OrderCompleted, no second OrderCancelled
}

TEST_P(OrdersTest, CancellingADispatchedOrderIs409AndChangesNothing) {
  const auto order_id = place();
  advance_to(order_id, "dispatched");

  auto refused = cancel("cus_ada", order_id);
  EXPECT_EQ(refused.status, 409);
  EXPECT_FALSE(refused.body.value("error", "").empty());
  EXPECT_EQ(get("cus_ada", order_id).body["status"], "dispatched");

  deliver(order_id);
  wait_for(order_id, "completed");
  EXPECT_EQ(cancel("cus_ada", order_id).status, 409);
  flush_outbox();
  EXPECT_EQ(types(order_events(order_id)),
            (std::vector<std::string>{std::string(shop::OrderPlaced::kType),
                                      std::string(shop::OrderConfirmed::kType),
                                      std::string(shop::OrderCompleted::kType)}));
}

TEST_P(OrdersTest, ARepeatedIdempotencyKeyReturnsTheSameOrderAndEmitsNothing) {
  auto first = checkout("cus_ada", "same-key", checkout_body());
  ASSERT_EQ(first.status, 201);
  auto again = checkout("cus_ada", "same-key", checkout_body());
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["order_id"], first.body["order_id"]);
  // The same key from another customer is another customer's order.
  auto other = checkout("cus_bob", "same-key", checkout_body());
  EXPECT_EQ(other.status, 201);
  EXPECT_NE(other.body["order_id"], first.body["order_id"]);

  flush_outbox();
  EXPECT_EQ(order_events(first.body["order_id"].get<std::string>()).size(), 1u);
  EXPECT_EQ(order_events(other.body["order_id"].get<std::string>()).size(), 1u);
  EXPECT_EQ(
      http(service_->http_port(), "GET", "/api/orders", {}, as("cus_ada")).body["orders"].size(),
      1u);

  auto missing = checkout("cus_ada", "", checkout_body());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["field"], "Idempotency-Key");
  auto too_long = checkout("cus_ada", std::string(101, 'k'), checkout_body());
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(too_long.body["field"], "Idempotency-Key");
}

TEST_P(OrdersTest, APriceThatChangedIs409NamingTheLineAndWritesNothing) {
  auto stale = checkout("cus_ada", "key-1", checkout_body(product_.price_cents - 100));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body["field"], "lines[0].unit_price_cents");
  EXPECT_TRUE(
      http(service_->http_port(), "GET", "/api/orders", {}, as("cus_ada")).body["orders"].empty());

  // The catalogue changes the price: the old one is now the stale one, and the same key is free
  // because the refused request stored nothing.
  auto updated = product_;
  updated.price_cents = product_.price_cents - 100;
  publish(shop::topics::kCatalog, updated.product_id, shop::ProductUpdated{updated});
  ASSERT_TRUE(drained(shop::topics::kCatalog));
  const auto old_price = product_.price_cents;
  product_ = updated;
  EXPECT_EQ(checkout("cus_ada", "key-1", checkout_body(old_price)).status, 409);
  auto placed = checkout("cus_ada", "key-1", checkout_body());
  ASSERT_EQ(placed.status, 201) << placed.body.dump();
  flush_outbox();
  std::vector<std::string> ada_orders;
  for (const auto& event : events(shop::topics::kOrders)) {
    if (event.data.value("customer_id", "") == "cus_ada") ada_orders.push_back(event.subject);
  }
  EXPECT_EQ(ada_orders, std::vector<std::string>{placed.body["order_id"].get<std::string>()});
}

TEST_P(OrdersTest, InvalidInputIsRejectedNamingTheFieldAndWritesNothing) {
  auto field_of = [&](const json& body) {
    auto response = checkout("cus_ada", "key-x", body);
    EXPECT_EQ(response.status, 400) << body.dump();
    return response.body.value("field", "");
  };
  auto body = checkout_body();
  body["lines"][1]["sku"] = "no-such-sku";
  EXPECT_EQ(field_of(body), "lines[1].sku");
  body = checkout_body();
  body["lines"][0]["quantity"] = 0;
  EXPECT_EQ(field_of(body), "lines[0].quantity");
  body = checkout_body();
  body["lines"] = json::array();
  EXPECT_EQ(field_of(body), "lines");
  body = checkout_body();
  body["card"]["number"] = "4242 4242 42";
  EXPECT_EQ(field_of(body), "card.number");
  body = checkout_body();
  body["card"]["number"] = "4242-4242-4242-4242";
  EXPECT_EQ(field_of(body), "card.number");
  body = checkout_body();
  body["ship_to"].erase("city");
  EXPECT_EQ(field_of(body), "ship_to.city");
  body = checkout_body();
  body.erase("ship_to");
  EXPECT_EQ(field_of(body), "ship_to");

  auto headers = as("cus_ada");
  headers.emplace_back("Idempotency-Key", "key-y");
  EXPECT_EQ(
      http(service_->http_port(), "POST", "/api/orders/checkout", "{not json", headers).status,
      400);
  EXPECT_EQ(http(service_->http_port(), "POST", "/api/orders/checkout", checkout_body().dump(),
                 {{"Idempotency-Key", "key-z"}})
                .status,
            401);
  EXPECT_TRUE(
      http(service_->http_port(), "GET", "/api/orders", {}, as("cus_ada")).body["orders"].empty());
}

TEST_P(OrdersTest, AnotherCustomersOrderIsNotFound) {
  const auto order_id = place("cus_ada", "key-1");
  EXPECT_EQ(get("cus_bob", order_id).status, 404);
  EXPECT_EQ(cancel("cus_bob", order_id).status, 404);
  EXPECT_EQ(get("cus_ada", "ord_missing").status, 404);
  EXPECT_TRUE(
      http(service_->http_port(), "GET", "/api/orders", {}, as("cus_bob")).body["orders"].empty());
  EXPECT_EQ(http(service_->http_port(), "GET", "/api/orders/" + order_id).status, 401);
  EXPECT_EQ(get("cus_ada", order_id).body["status"], "placed");
}

TEST_P(OrdersTest, ACustomersOrdersAreListedNewestFirst) {
  const auto first = place("cus_ada", "key-1");
  std::this_thread::sleep_for(5ms);  // distinct creation times
  const auto second = place("cus_ada", "key-2");
  auto listed = http(service_->http_port(), "GET", "/api/orders", {}, as("cus_ada"));
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["orders"].size(), 2u);
  EXPECT_EQ(listed.body["orders"][0]["order_id"], second);
  EXPECT_EQ(listed.body["orders"][1]["order_id"], first);
  EXPECT_EQ(statuses(listed.body["orders"][0]), std::vector<std::string>{"placed"});
}

TEST_P(OrdersTest, RedeliveredAndDuplicatedEventsHaveNoSecondEffect) {
  const auto order_id = place();
  const auto reserved = reserve(order_id);
  redeliver(shop::topics::kInventory, reserved);
  wait_for(order_id, "reserved");
  const auto authorized = authorize(order_id);
  redeliver(shop::topics::kPayments, authorized);
  authorize(order_id);  // the same fact again under a new event id
  wait_for(order_id, "confirmed");
  schedule(order_id);
  wait_for(order_id, "scheduled");
  dispatch(order_id);
  wait_for(order_id, "dispatched");
  const auto delivered = deliver(order_id);
  redeliver(shop::topics::kShipping, delivered);
  deliver(order_id);
  ASSERT_TRUE(drained(shop::topics::kInventory));
  ASSERT_TRUE(drained(shop::topics::kPayments));
  ASSERT_TRUE(drained(shop::topics::kShipping));
  const auto done = wait_for(order_id, "completed");
  EXPECT_EQ(statuses(done),
            (std::vector<std::string>{"placed", "reserved", "confirmed", "scheduled", "dispatched",
                                      "delivered", "completed"}));
  flush_outbox();
  EXPECT_EQ(types(order_events(order_id)),
            (std::vector<std::string>{std::string(shop::OrderPlaced::kType),
                                      std::string(shop::OrderConfirmed::kType),
                                      std::string(shop::OrderCompleted::kType)}));
}

TEST_P(OrdersTest, AnEventThatOvertookAnotherNeverMovesTheOrderBack) {
  const auto order_id = place();
  // Payments answered before orders read inventory's reservation (they travel on different topics).
  authorize(order_id);
  wait_for(order_id, "confirmed");
  reserve(order_id);
  ASSERT_TRUE(drained(shop::topics::kInventory));
  const auto order = get("cus_ada", order_id).body;
  EXPECT_EQ(order["status"], "confirmed");
  EXPECT_EQ(statuses(order), (std::vector<std::string>{"placed", "confirmed", "reserved"}));
  EXPECT_EQ(pending_timers(order_id), 0);
}

TEST_P(OrdersTest, PaymentAfterACustomerCancelIsHistoryAndConfirmsNothing) {
  const auto order_id = place();
  reserve(order_id);
  wait_for(order_id, "reserved");
  ASSERT_EQ(cancel("cus_ada", order_id).status, 202);
  authorize(order_id);
  ASSERT_TRUE(drained(shop::topics::kPayments));
  const auto order = get("cus_ada", order_id).body;
  EXPECT_EQ(order["status"], "cancelled");
  EXPECT_EQ(statuses(order),
            (std::vector<std::string>{"placed", "reserved", "cancelled", "confirmed"}));
  flush_outbox();
  EXPECT_EQ(types(order_events(order_id)),
            (std::vector<std::string>{std::string(shop::OrderPlaced::kType),
                                      std::string(shop::OrderCancelled::kType)}));
}

TEST_P(OrdersTest, AnEventAboutAnUnknownOrderIsDeadLettered) {
  reserve("ord_nobody");
  ASSERT_TRUE(eventually([&] {
    return bus_->messages(velocity::dead_letter_topic(std::string(shop::topics::kInventory)))
               .size() == 1;
  }));
}

TEST_P(OrdersTest, AnOrderLeavingPlacedDropsItsTimeout) {
  const auto order_id = place();
  EXPECT_EQ(pending_timers(order_id), 1);
  reserve(order_id);
  wait_for(order_id, "reserved");
  EXPECT_EQ(pending_timers(order_id), 0);
}

class OrdersTimeoutTest : public OrdersTest {
 protected:
  OrdersTimeoutTest() { options_.order_timeout = 100ms; }
};

TEST_P(OrdersTimeoutTest, AnOrderStuckInPlacedIsCancelledByItsTimer) {
  const auto order_id = place();
  const auto cancelled = wait_for(order_id, "cancelled");
  EXPECT_EQ(cancelled["cancel_reason_code"], std::string(kTimeoutReasonCode));
  EXPECT_EQ(cancelled["cancel_reason"], std::string(kTimeoutReason));
  ASSERT_TRUE(eventually([&] { return order_events(order_id).size() == 2; }));
  EXPECT_EQ(order_events(order_id)[1].data.get<shop::OrderCancelled>().reason, kTimeoutReason);

  // Inventory comes back late: the reservation it reports is history; its release follows the
  // cancel.
  reserve(order_id);
  ASSERT_TRUE(drained(shop::topics::kInventory));
  EXPECT_EQ(get("cus_ada", order_id).body["status"], "cancelled");
}

TEST(OrdersOptionsTest, ReadTheOrderTimeoutFromTheEnvironment) {
  velocity::config::Env env([](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_ORDER_TIMEOUT") return "30s";
    return std::nullopt;
  });
  auto options = OrdersOptions::from_env(env);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->order_timeout, 30s);
  EXPECT_EQ(OrdersOptions::from_env(velocity::config::Env([](std::string_view) {
              return std::nullopt;
            }))->order_timeout,
            2min);
  velocity::config::Env bad([](std::string_view) -> std::optional<std::string> { return "soon"; });
  EXPECT_FALSE(OrdersOptions::from_env(bad));
}

INSTANTIATE_TEST_SUITE_P(Engines, OrdersTest,
                         ::testing::Values(velocity::SqlDialect::kSqlite, velocity::SqlDialect::kPostgres),
                         velocity::testing::engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, OrdersTimeoutTest,
                         ::testing::Values(velocity::SqlDialect::kSqlite, velocity::SqlDialect::kPostgres),
                         velocity::testing::engine_name);

}  // namespace
}  // namespace orders
