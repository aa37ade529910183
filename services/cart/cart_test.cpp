#include "cart/cart.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "shop/events.h"
#include "shop/seed.h"
#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"
#include "toolkit/store/store_test_util.h"

namespace cart {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

constexpr int kPartitions = 4;

shop::OrderLine order_line(const std::string& sku, int64_t quantity) {
  shop::OrderLine line;
  line.sku = sku;
  line.quantity = quantity;
  return line;
}

// Every case runs on the embedded SQLite file and on a real PostgreSQL server
// (VELOCITY_DATABASE_URL), one fresh database per case.
class CartTest : public ::testing::TestWithParam<velocity::SqlDialect> {
 protected:
  void SetUp() override {
    if (GetParam() == velocity::SqlDialect::kPostgres) {
      auto url = velocity::testing::fresh_postgres_database();
      ASSERT_TRUE(url) << url.error().message();
      database_url_ = *url;
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-cart-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<velocity::MemoryBus>();
    ASSERT_TRUE(bus_->create_topic(std::string(shop::topics::kCarts), kPartitions));
    for (auto topic : {shop::topics::kCatalog, shop::topics::kOrders}) {
      const std::string name(topic);
      ASSERT_TRUE(bus_->create_topic(name, kPartitions));
      for (int tier = 1; tier <= 3; ++tier)
        ASSERT_TRUE(bus_->create_topic(name + ".retry." + std::to_string(tier), kPartitions));
      ASSERT_TRUE(bus_->create_topic(name + ".dlq", kPartitions));
    }
    velocity::ServiceConfig config;
    config.name = "cart";
    config.data_dir = dir_;
    config.database_url = database_url_;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    auto installed = install(*service_);
    ASSERT_TRUE(installed) << installed.error().message();
    ASSERT_TRUE(service_->start());
    port_ = service_->http_port();

    for (const auto& product : shop::seed_products())
      publish(shop::topics::kCatalog, product.product_id, shop::ProductAdded{product});
    ASSERT_TRUE(all_handled(shop::topics::kCatalog));
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  template <typename T>
  velocity::Event publish(
      std::string_view topic, const std::string& subject, const T& value,
      std::optional<std::chrono::system_clock::time_point> time = std::nullopt) {
    auto event = velocity::make_event(
        topic == shop::topics::kOrders ? "/services/orders" : "/services/catalog", subject, value);
    if (time) event.time = *time;
    publish(topic, event);
    return event;
  }
  void publish(std::string_view topic, const velocity::Event& event) {
    auto message = velocity::to_message(event, std::string(topic));
    ASSERT_TRUE(message);
    ASSERT_TRUE(bus_->publish(*message));
  }

  // Whether the cart's consumer group has committed every message of `topic`: each one handled.
  bool all_handled(std::string_view topic) {
    const std::string name(topic);
    return eventually([&] {
      const auto published = static_cast<int64_t>(bus_->messages(name).size());
      int64_t committed = 0;
      for (int p = 0; p < kPartitions; ++p)
        committed += std::max<int64_t>(bus_->committed("cart", name, p), 0);
      return committed == published;
    });
  }

  std::vector<std::pair<std::string, std::string>> as_customer(const std::string& id) const {
    return {{"X-Velocity-Customer", id}, {"X-Velocity-Edge-Key", service_->edge_key()}};
  }
  Http add(const std::string& customer, const std::string& sku, const json& quantity) {
    return http(port_, "POST", "/api/cart/items", json{{"sku", sku}, {"quantity", quantity}}.dump(),
                as_customer(customer));
  }
  Http set(const std::string& customer, const std::string& sku, const json& quantity) {
    return http(port_, "PUT", "/api/cart/items/" + sku, json{{"quantity", quantity}}.dump(),
                as_customer(customer));
  }
  Http remove(const std::string& customer, const std::string& sku) {
    return http(port_, "DELETE", "/api/cart/items/" + sku, {}, as_customer(customer));
  }
  Http view(const std::string& customer) {
    return http(port_, "GET", "/api/cart", {}, as_customer(customer));
  }

  // {sku: quantity} of the customer's cart.
  std::map<std::string, int64_t> lines(const std::string& customer) {
    std::map<std::string, int64_t> out;
    const auto cart = view(customer);
    for (const auto& line : cart.body["lines"]) out[line["sku"]] = line["quantity"];
    return out;
  }

  template <typename T>
  std::vector<T> cart_events() const {
    std::vector<T> out;
    for (const auto& message : bus_->messages(std::string(shop::topics::kCarts))) {
      auto event = velocity::from_message(message);
      if (!event || event->type != T::kType) continue;
      auto value = velocity::decode<T>(*event);
      if (value) out.push_back(*value);
    }
    return out;
  }
  // Waits until the outbox has published `count` cart events in all.
  bool cart_events_published(size_t count) {
    return eventually(
        [&] { return bus_->messages(std::string(shop::topics::kCarts)).size() == count; });
  }

  // Adds a line to a marker customer's cart and waits for its CartItemAdded: the outbox
  // publishes in commit order, so every event committed before it is on the bus by then, and
  // a check that nothing more was published can fail. Returns the marker customer.
  std::string flush_outbox() {
    const auto marker = "cus_marker_" + std::to_string(++markers_);
    EXPECT_EQ(add(marker, "tee-classic-M-blk", 1).status, 200);
    EXPECT_TRUE(eventually([&] {
      for (const auto& added : cart_events<shop::CartItemAdded>())
        if (added.customer_id == marker) return true;
      return false;
    }));
    return marker;
  }

  std::filesystem::path dir_;
  std::string database_url_;  // empty: SQLite
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  uint16_t port_ = 0;
  int markers_ = 0;
};

TEST_P(CartTest, EveryRouteNeedsAVerifiedCustomer) {
  EXPECT_EQ(http(port_, "GET", "/api/cart").status, 401);
  EXPECT_EQ(http(port_, "GET", "/api/cart", {}, {{"X-Velocity-Customer", "cus_a"}}).status, 401);
  EXPECT_EQ(http(port_, "POST", "/api/cart/items", R"({"sku":"tee-classic-M-blk","quantity":1})",
                 {{"X-Velocity-Customer", "cus_a"}, {"X-Velocity-Edge-Key", "forged"}})
                .status,
            401);
  EXPECT_EQ(http(port_, "PUT", "/api/cart/items/tee-classic-M-blk", R"({"quantity":1})").status,
            401);
  EXPECT_EQ(http(port_, "DELETE", "/api/cart/items/tee-classic-M-blk").status, 401);
  EXPECT_TRUE(lines("cus_a").empty());
}

TEST_P(CartTest, AnEmptyCartIsACartWithNoLines) {
  auto cart = view("cus_a");
  ASSERT_EQ(cart.status, 200);
  EXPECT_EQ(cart.body, (json{{"customer_id", "cus_a"},
                             {"lines", json::array()},
                             {"total_cents", 0},
                             {"currency", "EUR"}}));
}

TEST_P(CartTest, AddingPricesTheLineFromTheReplicaAndAddsToAnExistingLine) {
  auto first = add("cus_a", "tee-classic-M-blk", 2);
  ASSERT_EQ(first.status, 200) << first.body.dump();
  ASSERT_EQ(first.body["lines"].size(), 1u);
  const auto& line = first.body["lines"][0];
  EXPECT_EQ(line["sku"], "tee-classic-M-blk");
  EXPECT_EQ(line["product_id"], "tee-classic");
  EXPECT_EQ(line["name"], "Classic Crew Tee");
  EXPECT_EQ(line["size"], "M");
  EXPECT_EQ(line["colour"], "Black");
  EXPECT_EQ(line["image"], "/images/tee-classic-blk.svg");
  EXPECT_EQ(line["unit_price_cents"], 2500);
  EXPECT_EQ(line["line_total_cents"], 5000);
  EXPECT_EQ(first.body["total_cents"], 5000);

  ASSERT_EQ(add("cus_a", "tee-kids-S-grn", 1).status, 200);
  auto again = add("cus_a", "tee-classic-M-blk", 1);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(lines("cus_a"),
            (std::map<std::string, int64_t>{{"tee-classic-M-blk", 3}, {"tee-kids-S-grn", 1}}));
  EXPECT_EQ(again.body["lines"][0]["sku"],
            "tee-classic-M-blk");  // lines keep the order they were added in
  EXPECT_EQ(again.body["total_cents"], 3 * 2500 + 1800);

  ASSERT_TRUE(cart_events_published(3));
  const auto added = cart_events<shop::CartItemAdded>();
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[0].customer_id, "cus_a");
  EXPECT_EQ(added[0].product_id, "tee-classic");
  EXPECT_EQ(added[0].quantity, 2);
  EXPECT_EQ(added[0].line_quantity, 2);
  EXPECT_EQ(added[2].quantity, 1);
  EXPECT_EQ(added[2].line_quantity, 3);
}

TEST_P(CartTest, AnUnknownSkuIsA404AndABadQuantityA400AndNothingChanges) {
  ASSERT_EQ(add("cus_a", "tee-classic-M-blk", 98).status, 200);
  auto unknown = add("cus_a", "tee-tuxedo-M-blk", 1);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["field"], "sku");
  for (const json& quantity : {json(0), json(100), json(-1), json("2"), json(1.5), json(nullptr)}) {
    auto bad = add("cus_a", "tee-kids-S-grn", quantity);
    EXPECT_EQ(bad.status, 400) << quantity.dump();
    EXPECT_EQ(bad.body["field"], "quantity") << quantity.dump();
  }
  auto missing_sku =
      http(port_, "POST", "/api/cart/items", R"({"quantity":1})", as_customer("cus_a"));
  EXPECT_EQ(missing_sku.status, 400);
  EXPECT_EQ(missing_sku.body["field"], "sku");
  auto over = add("cus_a", "tee-classic-M-blk", 2);  // 98 + 2 > 99
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(over.body["field"], "quantity");
  EXPECT_EQ(set("cus_a", "tee-classic-M-blk", 100).status, 400);
  EXPECT_EQ(set("cus_a", "tee-tuxedo-M-blk", 1).status, 404);

  EXPECT_EQ(lines("cus_a"), (std::map<std::string, int64_t>{{"tee-classic-M-blk", 98}}));
  ASSERT_TRUE(cart_events_published(1));
  flush_outbox();
  EXPECT_EQ(bus_->messages(std::string(shop::topics::kCarts)).size(), 2u) << "the marker's only";
}

TEST_P(CartTest, ChangingAndRemovingLinesPublishesWhatChanged) {
  ASSERT_EQ(add("cus_a", "tee-stripe-L-red", 3).status, 200);
  ASSERT_EQ(add("cus_a", "tee-pocket-M-olv", 1).status, 200);

  auto more = set("cus_a", "tee-stripe-L-red", 5);
  ASSERT_EQ(more.status, 200);
  EXPECT_EQ(more.body["lines"][0]["quantity"], 5);
  auto fewer = set("cus_a", "tee-stripe-L-red", 2);
  ASSERT_EQ(fewer.status, 200);
  EXPECT_EQ(fewer.body["lines"][0]["quantity"], 2);
  EXPECT_EQ(set("cus_a", "tee-stripe-L-red", 2).status, 200);  // no change, no event
  auto zero = set("cus_a", "tee-stripe-L-red", 0);
  ASSERT_EQ(zero.status, 200);
  EXPECT_EQ(lines("cus_a"), (std::map<std::string, int64_t>{{"tee-pocket-M-olv", 1}}));
  auto created =
      set("cus_a", "tee-vneck-S-gry", 4);  // setting a line that is not there yet adds it
  ASSERT_EQ(created.status, 200);

  auto removed = remove("cus_a", "tee-pocket-M-olv");
  ASSERT_EQ(removed.status, 200);
  EXPECT_EQ(lines("cus_a"), (std::map<std::string, int64_t>{{"tee-vneck-S-gry", 4}}));
  auto again = remove("cus_a", "tee-pocket-M-olv");  // removing what is gone is not an error
  EXPECT_EQ(again.status, 200);

  ASSERT_TRUE(cart_events_published(7));
  const auto added = cart_events<shop::CartItemAdded>();
  ASSERT_EQ(added.size(), 4u);
  EXPECT_EQ(added[2].quantity, 2);  // 3 → 5
  EXPECT_EQ(added[2].line_quantity, 5);
  EXPECT_EQ(added[3].sku, "tee-vneck-S-gry");
  EXPECT_EQ(added[3].product_id, "tee-vneck");
  const auto gone = cart_events<shop::CartItemRemoved>();
  ASSERT_EQ(gone.size(), 3u);
  EXPECT_EQ(gone[0].quantity, 3);  // 5 → 2
  EXPECT_EQ(gone[0].line_quantity, 2);
  EXPECT_EQ(gone[0].reason, "changed");
  EXPECT_EQ(gone[1].quantity, 2);  // 2 → 0
  EXPECT_EQ(gone[1].line_quantity, 0);
  EXPECT_EQ(gone[1].reason, "removed");
  EXPECT_EQ(gone[2].sku, "tee-pocket-M-olv");
  EXPECT_EQ(gone[2].reason, "removed");
}

TEST_P(CartTest, EachCustomerHasTheirOwnCart) {
  ASSERT_EQ(add("cus_a", "tee-classic-M-blk", 1).status, 200);
  ASSERT_EQ(add("cus_b", "tee-classic-M-blk", 4).status, 200);
  ASSERT_EQ(remove("cus_b", "tee-classic-M-blk").status, 200);
  EXPECT_EQ(lines("cus_a"), (std::map<std::string, int64_t>{{"tee-classic-M-blk", 1}}));
  EXPECT_TRUE(lines("cus_b").empty());
  EXPECT_EQ(view("cus_b").body["customer_id"], "cus_b");
}

TEST_P(CartTest, APlacedOrderTakesItsLinesOutOfTheCartOnce) {
  ASSERT_EQ(add("cus_a", "tee-classic-M-blk", 3).status, 200);
  ASSERT_EQ(add("cus_a", "tee-kids-S-grn", 1).status, 200);
  ASSERT_EQ(add("cus_a", "tee-stripe-L-red", 2).status, 200);
  ASSERT_EQ(add("cus_b", "tee-kids-S-grn", 1).status, 200);
  ASSERT_TRUE(cart_events_published(4));

  shop::OrderPlaced order;
  order.order_id = "ord_1";
  order.customer_id = "cus_a";
  order.lines = {order_line("tee-classic-M-blk", 2), order_line("tee-kids-S-grn", 1),
                 order_line("tee-vneck-S-gry", 1)};  // not in the cart: nothing to take out
  const auto event = publish(shop::topics::kOrders, order.order_id, order);
  ASSERT_TRUE(all_handled(shop::topics::kOrders));
  EXPECT_EQ(lines("cus_a"),
            (std::map<std::string, int64_t>{{"tee-classic-M-blk", 1}, {"tee-stripe-L-red", 2}}));
  EXPECT_EQ(lines("cus_b"), (std::map<std::string, int64_t>{{"tee-kids-S-grn", 1}}));

  ASSERT_TRUE(cart_events_published(6));
  const auto removed = cart_events<shop::CartItemRemoved>();
  ASSERT_EQ(removed.size(), 2u);
  for (const auto& r : removed) {
    EXPECT_EQ(r.customer_id, "cus_a");
    EXPECT_EQ(r.reason, "ordered");
    if (r.sku == "tee-classic-M-blk") {
      EXPECT_EQ(r.quantity, 2);
      EXPECT_EQ(r.line_quantity, 1);
    } else {
      EXPECT_EQ(r.sku, "tee-kids-S-grn");
      EXPECT_EQ(r.quantity, 1);
      EXPECT_EQ(r.line_quantity, 0);
    }
  }

  // The same event delivered again has no second effect.
  publish(shop::topics::kOrders, event);
  ASSERT_TRUE(all_handled(shop::topics::kOrders));
  EXPECT_EQ(lines("cus_a"),
            (std::map<std::string, int64_t>{{"tee-classic-M-blk", 1}, {"tee-stripe-L-red", 2}}));
  flush_outbox();
  EXPECT_EQ(bus_->messages(std::string(shop::topics::kCarts)).size(), 7u) << "the marker's only";
}

TEST_P(CartTest, AnOrderWithoutACustomerIsDeadLettered) {
  shop::OrderPlaced order;
  order.order_id = "ord_x";
  order.lines = {order_line("tee-classic-M-blk", 1)};
  publish(shop::topics::kOrders, order.order_id, order);
  EXPECT_TRUE(eventually(
      [&] { return bus_->messages(std::string(shop::topics::kOrders) + ".dlq").size() == 1; }));
}

TEST_P(CartTest, TheReplicaFollowsProductUpdatesButNotOlderOnes) {
  ASSERT_EQ(add("cus_a", "tee-pocket-M-snd", 1).status, 200);
  auto pocket = shop::seed_products()[2];
  ASSERT_EQ(pocket.product_id, "tee-pocket");
  const auto now = std::chrono::system_clock::now();

  // Now 3100 and only in olive: the sand line stays (and shows the new price) but cannot grow.
  auto updated = pocket;
  updated.price_cents = 3100;
  std::erase_if(updated.skus, [](const shop::Sku& s) { return s.colour == "Sand"; });
  publish(shop::topics::kCatalog, pocket.product_id, shop::ProductUpdated{updated}, now + 1s);
  // An older version arriving late must not roll the price back.
  publish(shop::topics::kCatalog, pocket.product_id, shop::ProductUpdated{pocket}, now - 1min);
  ASSERT_TRUE(all_handled(shop::topics::kCatalog));

  auto cart = view("cus_a");
  ASSERT_EQ(cart.body["lines"].size(), 1u);
  EXPECT_EQ(cart.body["lines"][0]["unit_price_cents"], 3100);
  EXPECT_EQ(add("cus_a", "tee-pocket-M-snd", 1).status, 404);
  EXPECT_EQ(set("cus_a", "tee-pocket-M-snd", 2).status, 404);
  EXPECT_EQ(set("cus_a", "tee-pocket-M-snd", 0).status, 200);  // but it can leave the cart
  EXPECT_EQ(add("cus_a", "tee-pocket-M-olv", 1).body["lines"][0]["unit_price_cents"], 3100);
}

INSTANTIATE_TEST_SUITE_P(Engines, CartTest,
                         ::testing::Values(velocity::SqlDialect::kSqlite, velocity::SqlDialect::kPostgres),
                         velocity::testing::engine_name);

}  // namespace
}  // namespace cart
