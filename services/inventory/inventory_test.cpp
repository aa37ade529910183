#include "inventory/inventory.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "inventory/stock.h"
#include "shop/events.h"
#include "shop/seed.h"
#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"
#include "toolkit/store/store_test_util.h"

namespace inventory {
namespace {

using namespace std::chrono_literals;
using velocity::Event;

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

const std::string kOrders(shop::topics::kOrders);
const std::string kPayments(shop::topics::kPayments);
const std::string kShipping(shop::topics::kShipping);
const std::string kInventory(shop::topics::kInventory);
const std::string kSku = "tee-classic-M-blk";
const std::string kOtherSku = "tee-vneck-L-gry";

shop::OrderPlaced order(std::string id, std::vector<std::pair<std::string, int64_t>> lines) {
  shop::OrderPlaced placed;
  placed.order_id = std::move(id);
  placed.customer_id = "cus_ada";
  for (auto& [sku, quantity] : lines) {
    placed.lines.push_back(shop::OrderLine{sku, "tee", "Tee", "M", "Black", quantity, 2500});
    placed.total_cents += quantity * 2500;
  }
  placed.currency = "EUR";
  placed.card = shop::Card{"4242 4242 4242 4242", "Ada Lovelace"};
  return placed;
}

// Every case runs on the embedded SQLite file and on a real PostgreSQL server
// (VELOCITY_DATABASE_URL), one fresh database per case.
class InventoryTest : public ::testing::TestWithParam<velocity::SqlDialect> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-inventory-" + std::to_string(std::random_device{}()));
    if (GetParam() == velocity::SqlDialect::kPostgres) {
      auto url = velocity::testing::fresh_postgres_database();
      ASSERT_TRUE(url) << url.error().message();
      database_url_ = *url;
    }
    bus_ = std::make_shared<velocity::MemoryBus>();
    for (const auto& topic : {kOrders, kPayments, kShipping}) {
      ASSERT_TRUE(bus_->create_topic(topic, 4));
      for (size_t tier = 1; tier <= 3; ++tier)
        ASSERT_TRUE(bus_->create_topic(velocity::retry_topic(topic, tier), 4));
      ASSERT_TRUE(bus_->create_topic(velocity::dead_letter_topic(topic), 4));
    }
    ASSERT_TRUE(bus_->create_topic(kInventory, 4));
    start();
  }

  void TearDown() override {
    if (service_) expect_conserved();
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start() {
    velocity::ServiceConfig config;
    config.name = "inventory";
    config.data_dir = dir_;
    config.database_url = database_url_;
    config.outbox_poll = 20ms;
    config.timer_poll = 20ms;
    config.shutdown_bound = 5s;
    config.retry.tier_delays = {100ms, 1s, 2s};
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    auto installed = install(*service_);
    ASSERT_TRUE(installed) << installed.error().message();
    ASSERT_TRUE(service_->start());
    port_ = service_->http_port();
  }

  template <typename T>
  Event publish(const std::string& topic, const std::string& subject, const T& value) {
    return publish_event(topic, velocity::make_event("/services/test", subject, value));
  }
  Event publish_event(const std::string& topic, const Event& event) {
    auto message = velocity::to_message(event, topic);
    EXPECT_TRUE(message);
    EXPECT_TRUE(bus_->publish(*message));
    return event;
  }

  // Waits until inventory's consumer group has committed past `event` (its handler succeeded).
  bool handled(const std::string& topic, const Event& event) {
    return eventually([&] {
      for (const auto& m : bus_->messages(topic)) {
        if (m.header(velocity::kCeId) == event.id)
          return bus_->committed("inventory", topic, m.partition) > m.offset;
      }
      return false;
    });
  }

  template <typename T>
  std::vector<T> published(const std::string& subject = {}) {
    std::vector<T> out;
    for (const auto& m : bus_->messages(kInventory)) {
      auto event = velocity::from_message(m);
      if (!event || event->type != T::kType || (!subject.empty() && event->subject != subject))
        continue;
      auto value = velocity::decode<T>(*event);
      if (value) out.push_back(*value);
    }
    return out;
  }

  template <typename T>
  bool published_count(size_t n, const std::string& subject = {}) {
    return eventually([&] { return published<T>(subject).size() >= n; });
  }

  // The outbox publishes after the handler's commit, so "handled" does not mean "on the bus".
  // Reserves one unit of a SKU no case looks at for a marker order and waits for its
  // StockReserved: the relay publishes in commit order, so every event committed before it is
  // on the bus by then, and a check that nothing more was published can fail.
  void flush_outbox() {
    const auto marker = "ord_marker_" + std::to_string(++markers_);
    const auto sku = shop::seed_products().back().skus.back().sku;
    ASSERT_NE(sku, kSku);
    ASSERT_NE(sku, kOtherSku);
    publish(kOrders, marker, order(marker, {{sku, 1}}));
    ASSERT_TRUE(published_count<shop::StockReserved>(1, marker));
  }

  StockRow stock(const std::string& sku) {
    auto tx = service_->db().begin();
    auto row = find_stock(*tx, sku);
    EXPECT_TRUE(row && *row) << sku;
    return row && *row ? **row : StockRow{};
  }

  // Per SKU: the ledger adds up to what is available, reserved and shipped, none negative.
  void expect_conserved() {
    auto tx = service_->db().begin();
    ASSERT_TRUE(tx);
    auto rows = tx->query(
        "SELECT s.sku, s.available, s.reserved, s.shipped, "
        "(SELECT COALESCE(SUM(delta), 0) FROM stock_adjustment a WHERE a.sku = s.sku) FROM stock "
        "s");
    ASSERT_TRUE(rows);
    size_t skus = 0;
    while (rows->next().value_or(false)) {
      ++skus;
      const auto sku = rows->text(0);
      EXPECT_GE(rows->int64(1), 0) << sku;
      EXPECT_GE(rows->int64(2), 0) << sku;
      EXPECT_GE(rows->int64(3), 0) << sku;
      EXPECT_EQ(rows->int64(4), rows->int64(1) + rows->int64(2) + rows->int64(3)) << sku;
    }
    EXPECT_GT(skus, 0u);
    auto orphans =
        tx->query("SELECT COUNT(*) FROM stock_adjustment WHERE sku NOT IN (SELECT sku FROM stock)");
    ASSERT_TRUE(orphans && orphans->next().value_or(false));
    EXPECT_EQ(orphans->int64(0), 0);
  }

  std::vector<std::pair<std::string, std::string>> edge() const {
    return {{"X-Velocity-Edge-Key", service_->edge_key()}};
  }

  std::filesystem::path dir_;
  std::string database_url_;  // empty: SQLite
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  uint16_t port_ = 0;
  int markers_ = 0;
};

size_t seed_sku_count() {
  size_t n = 0;
  for (const auto& p : shop::seed_products()) n += p.skus.size();
  return n;
}

TEST_P(InventoryTest, FirstStartStocksEverySeedSkuOnceWithAnInitialAdjustment) {
  const size_t skus = seed_sku_count();
  ASSERT_TRUE(published_count<shop::StockAdjusted>(skus));
  for (const auto& adjusted : published<shop::StockAdjusted>()) {
    EXPECT_EQ(adjusted.delta, shop::kSeedStockPerSku);
    EXPECT_EQ(adjusted.reason, "initial");
    ASSERT_EQ(adjusted.levels.size(), 1u);
    EXPECT_EQ(adjusted.levels[0].sku, adjusted.sku);
    EXPECT_EQ(adjusted.levels[0].available, shop::kSeedStockPerSku);
  }
  auto listed = http(port_, "GET", "/api/inventory/stock");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["stock"].size(), skus);
  for (const auto& line : listed.body["stock"]) {
    EXPECT_EQ(line["available"], shop::kSeedStockPerSku);
    EXPECT_EQ(line["reserved"], 0);
    EXPECT_EQ(line["shipped"], 0);
  }

  // A restart on the same data finds the ledger and stocks nothing again.
  service_.reset();
  start();
  auto again = http(port_, "GET", "/api/inventory/stock/" + kSku);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.body,
            nlohmann::json({{"sku", kSku}, {"available", 100}, {"reserved", 0}, {"shipped", 0}}));
  flush_outbox();
  EXPECT_EQ(published<shop::StockAdjusted>().size(), skus);
}

TEST_P(InventoryTest, AnUnknownSkuIsNotFound) {
  auto missing = http(port_, "GET", "/api/inventory/stock/tee-none-M-blk");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["field"], "sku");
}

TEST_P(InventoryTest, AnOrderIsReservedWholeAndCarriesThePaymentDetailsOn) {
  auto placed = order("ord_1", {{kSku, 2}, {kOtherSku, 1}, {kSku, 1}});
  publish(kOrders, "ord_1", placed);
  ASSERT_TRUE(published_count<shop::StockReserved>(1, "ord_1"));
  const auto reserved = published<shop::StockReserved>("ord_1").front();
  EXPECT_EQ(reserved.customer_id, "cus_ada");
  EXPECT_EQ(reserved.total_cents, placed.total_cents);
  EXPECT_EQ(reserved.currency, "EUR");
  EXPECT_EQ(reserved.card.number, placed.card.number);
  EXPECT_EQ(reserved.card.holder, placed.card.holder);
  ASSERT_EQ(reserved.lines.size(), 2u);
  EXPECT_EQ(reserved.lines[0].sku, kSku);
  EXPECT_EQ(reserved.lines[0].quantity, 3);
  ASSERT_EQ(reserved.levels.size(), 2u);
  EXPECT_EQ(reserved.levels[0].sku, kSku);
  EXPECT_EQ(reserved.levels[0].available, 97);
  EXPECT_EQ(reserved.levels[1].available, 99);

  const auto row = stock(kSku);
  EXPECT_EQ(row.available, 97);
  EXPECT_EQ(row.reserved, 3);
  EXPECT_EQ(row.shipped, 0);
}

TEST_P(InventoryTest, AnOrderThatOneLineCannotCoverReservesNothing) {
  publish(kOrders, "ord_short", order("ord_short", {{kOtherSku, 1}, {kSku, 101}}));
  publish(kOrders, "ord_unknown", order("ord_unknown", {{kOtherSku, 1}, {"tee-none-M-blk", 1}}));
  ASSERT_TRUE(published_count<shop::StockRejected>(1, "ord_short"));
  ASSERT_TRUE(published_count<shop::StockRejected>(1, "ord_unknown"));

  const auto rejected = published<shop::StockRejected>("ord_short").front();
  EXPECT_EQ(rejected.customer_id, "cus_ada");
  ASSERT_EQ(rejected.unavailable.size(), 1u);
  EXPECT_EQ(rejected.unavailable[0].sku, kSku);
  EXPECT_EQ(rejected.unavailable[0].quantity, 101);
  EXPECT_NE(rejected.reason.find(kSku), std::string::npos);
  const auto unknown = published<shop::StockRejected>("ord_unknown").front();
  ASSERT_EQ(unknown.unavailable.size(), 1u);
  EXPECT_EQ(unknown.unavailable[0].sku, "tee-none-M-blk");

  EXPECT_TRUE(published<shop::StockReserved>().empty());
  EXPECT_EQ(stock(kOtherSku).available, 100);
  EXPECT_EQ(stock(kOtherSku).reserved, 0);
  EXPECT_EQ(stock(kSku).reserved, 0);
}

TEST_P(InventoryTest, TwoOrdersRacingForTheLastUnitExactlyOneGetsIt) {
  auto written_off = http(port_, "POST", "/api/inventory/admin/adjust",
                          R"({"sku":")" + kSku + R"(","delta":-99,"reason":"write-off"})", edge());
  ASSERT_EQ(written_off.status, 200);
  ASSERT_EQ(written_off.body["available"], 1);

  for (int round = 0; round < 5; ++round) {
    const auto a = "ord_a" + std::to_string(round);
    const auto b = "ord_b" + std::to_string(round);
    publish(kOrders, a, order(a, {{kSku, 1}}));
    publish(kOrders, b, order(b, {{kSku, 1}}));
    ASSERT_TRUE(eventually([&] {
      return published<shop::StockReserved>(a).size() + published<shop::StockRejected>(a).size() ==
                 1 &&
             published<shop::StockReserved>(b).size() + published<shop::StockRejected>(b).size() ==
                 1;
    }));
    EXPECT_EQ(published<shop::StockReserved>(a).size() + published<shop::StockReserved>(b).size(),
              1u);
    EXPECT_EQ(published<shop::StockRejected>(a).size() + published<shop::StockRejected>(b).size(),
              1u);
    EXPECT_EQ(stock(kSku).available, 0);
    EXPECT_EQ(stock(kSku).reserved, 1);
    expect_conserved();

    // Give the unit back for the next round.
    const auto winner = published<shop::StockReserved>(a).empty() ? b : a;
    publish(kOrders, winner,
            shop::OrderCancelled{winner, "cus_ada", "customer_request", "You cancelled it."});
    ASSERT_TRUE(published_count<shop::StockReleased>(1, winner));
  }
}

TEST_P(InventoryTest, ADeclinedPaymentReleasesTheReservationOnceOnly) {
  publish(kOrders, "ord_1", order("ord_1", {{kSku, 2}}));
  ASSERT_TRUE(published_count<shop::StockReserved>(1, "ord_1"));

  const auto declined =
      publish(kPayments, "ord_1",
              shop::PaymentDeclined{"ord_1", "cus_ada", "Your card was declined.", "0002"});
  ASSERT_TRUE(published_count<shop::StockReleased>(1, "ord_1"));
  const auto released = published<shop::StockReleased>("ord_1").front();
  EXPECT_EQ(released.reason, "payment_declined");
  EXPECT_EQ(released.customer_id, "cus_ada");
  ASSERT_EQ(released.lines.size(), 1u);
  EXPECT_EQ(released.lines[0].quantity, 2);
  ASSERT_EQ(released.levels.size(), 1u);
  EXPECT_EQ(released.levels[0].available, 100);

  // The same event again, and the cancel the decline leads to: nothing more to give back.
  publish_event(kPayments, declined);
  const auto cancel = publish(
      kOrders, "ord_1", shop::OrderCancelled{"ord_1", "cus_ada", "payment_declined", "Declined."});
  ASSERT_TRUE(handled(kOrders, cancel));
  ASSERT_TRUE(handled(kPayments, declined));
  flush_outbox();
  EXPECT_EQ(published<shop::StockReleased>("ord_1").size(), 1u);
  EXPECT_EQ(stock(kSku).available, 100);
  EXPECT_EQ(stock(kSku).reserved, 0);
}

TEST_P(InventoryTest, ACustomerCancelReleasesTheReservationOnceOnly) {
  publish(kOrders, "ord_1", order("ord_1", {{kSku, 3}}));
  ASSERT_TRUE(published_count<shop::StockReserved>(1, "ord_1"));
  publish(kOrders, "ord_1",
          shop::OrderCancelled{"ord_1", "cus_ada", "customer_request", "You cancelled it."});
  ASSERT_TRUE(published_count<shop::StockReleased>(1, "ord_1"));
  EXPECT_EQ(published<shop::StockReleased>("ord_1").front().reason, "customer_request");

  // A second cancel (another event id), then a late decline: no-ops.
  const auto again =
      publish(kOrders, "ord_1",
              shop::OrderCancelled{"ord_1", "cus_ada", "customer_request", "You cancelled it."});
  const auto late =
      publish(kPayments, "ord_1", shop::PaymentDeclined{"ord_1", "cus_ada", "Declined.", "0002"});
  ASSERT_TRUE(handled(kOrders, again));
  ASSERT_TRUE(handled(kPayments, late));
  flush_outbox();
  EXPECT_EQ(published<shop::StockReleased>("ord_1").size(), 1u);
  EXPECT_EQ(stock(kSku).available, 100);
}

TEST_P(InventoryTest, AnOrderCancelledBeforeItsPlacementArrivedIsNeverReserved) {
  publish(kOrders, "ord_1",
          shop::OrderCancelled{"ord_1", "cus_ada", "customer_request", "You cancelled it."});
  const auto placed = publish(kOrders, "ord_1", order("ord_1", {{kSku, 1}}));
  ASSERT_TRUE(handled(kOrders, placed));
  flush_outbox();
  EXPECT_TRUE(published<shop::StockReserved>("ord_1").empty());
  EXPECT_TRUE(published<shop::StockRejected>("ord_1").empty());
  EXPECT_TRUE(published<shop::StockReleased>("ord_1").empty());
  EXPECT_EQ(stock(kSku).available, 100);
}

TEST_P(InventoryTest, ARedeliveredOrTwicePlacedOrderIsReservedOnce) {
  const auto placed = publish(kOrders, "ord_1", order("ord_1", {{kSku, 2}}));
  publish_event(kOrders, placed);  // the same event again
  const auto twice =
      publish(kOrders, "ord_1", order("ord_1", {{kSku, 2}}));  // a new id, same order
  ASSERT_TRUE(handled(kOrders, twice));
  flush_outbox();
  EXPECT_EQ(published<shop::StockReserved>("ord_1").size(), 1u);
  EXPECT_EQ(stock(kSku).reserved, 2);
  EXPECT_EQ(stock(kSku).available, 98);
}

TEST_P(InventoryTest, ADispatchMovesTheReservedUnitsToShippedOnce) {
  publish(kOrders, "ord_1", order("ord_1", {{kSku, 2}, {kOtherSku, 1}}));
  ASSERT_TRUE(published_count<shop::StockReserved>(1, "ord_1"));
  shop::ShipmentDispatched dispatched{
      "ord_1", "cus_ada", "shp_1", "VX1", {{kSku, 2}, {kOtherSku, 1}}};
  const auto first = publish(kShipping, "ord_1", dispatched);
  ASSERT_TRUE(handled(kShipping, first));
  EXPECT_EQ(stock(kSku).available, 98);
  EXPECT_EQ(stock(kSku).reserved, 0);
  EXPECT_EQ(stock(kSku).shipped, 2);
  EXPECT_EQ(stock(kOtherSku).shipped, 1);

  const auto second = publish(kShipping, "ord_1", dispatched);
  // Too late for a cancel: the units stay shipped and nothing is released.
  const auto cancel = publish(
      kOrders, "ord_1", shop::OrderCancelled{"ord_1", "cus_ada", "customer_request", "Too late."});
  ASSERT_TRUE(handled(kShipping, second));
  ASSERT_TRUE(handled(kOrders, cancel));
  EXPECT_EQ(stock(kSku).shipped, 2);
  EXPECT_EQ(stock(kSku).available, 98);
  flush_outbox();
  EXPECT_TRUE(published<shop::StockReleased>("ord_1").empty());
}

TEST_P(InventoryTest, ADispatchAfterARacingCancelShipsFromAvailable) {
  publish(kOrders, "ord_1", order("ord_1", {{kSku, 2}}));
  ASSERT_TRUE(published_count<shop::StockReserved>(1, "ord_1"));
  publish(kOrders, "ord_1",
          shop::OrderCancelled{"ord_1", "cus_ada", "customer_request", "You cancelled it."});
  ASSERT_TRUE(published_count<shop::StockReleased>(1, "ord_1"));
  const auto dispatched =
      publish(kShipping, "ord_1",
              shop::ShipmentDispatched{"ord_1", "cus_ada", "shp_1", "VX1", {{kSku, 2}}});
  ASSERT_TRUE(handled(kShipping, dispatched));
  const auto row = stock(kSku);
  EXPECT_EQ(row.available, 98);
  EXPECT_EQ(row.reserved, 0);
  EXPECT_EQ(row.shipped, 2);
}

TEST_P(InventoryTest, ADispatchThatStockCannotCoverIsRecordedAndNeverGoesNegative) {
  publish(kOrders, "ord_1", order("ord_1", {{kSku, 2}}));
  ASSERT_TRUE(published_count<shop::StockReserved>(1, "ord_1"));
  publish(kOrders, "ord_1",
          shop::OrderCancelled{"ord_1", "cus_ada", "customer_request", "You cancelled it."});
  ASSERT_TRUE(published_count<shop::StockReleased>(1, "ord_1"));
  ASSERT_EQ(http(port_, "POST", "/api/inventory/admin/adjust",
                 R"({"sku":")" + kSku + R"(","delta":-99,"reason":"write-off"})", edge())
                .status,
            200);
  const auto dispatched =
      publish(kShipping, "ord_1",
              shop::ShipmentDispatched{"ord_1", "cus_ada", "shp_1", "VX1", {{kSku, 2}}});
  ASSERT_TRUE(handled(kShipping, dispatched));
  const auto row = stock(kSku);
  EXPECT_EQ(row.available, 0);
  EXPECT_EQ(row.shipped, 1);
  auto tx = service_->db().begin();
  auto missing = tx->query("SELECT sku, missing FROM dispatch_shortfall WHERE order_id = 'ord_1'");
  ASSERT_TRUE(missing && missing->next().value_or(false));
  EXPECT_EQ(missing->text(0), kSku);
  EXPECT_EQ(missing->int64(1), 1);
}

TEST_P(InventoryTest, ADispatchBeforeItsReservationIsRetriedUntilTheReservationArrives) {
  publish(kShipping, "ord_1",
          shop::ShipmentDispatched{"ord_1", "cus_ada", "shp_1", "VX1", {{kSku, 2}}});
  publish(kOrders, "ord_1", order("ord_1", {{kSku, 2}}));
  ASSERT_TRUE(eventually([&] { return stock(kSku).shipped == 2; }));
  EXPECT_EQ(stock(kSku).reserved, 0);
  EXPECT_EQ(stock(kSku).available, 98);
  EXPECT_TRUE(bus_->messages(velocity::dead_letter_topic(kShipping)).empty());
}

TEST_P(InventoryTest, AnOrderBreakingTheContractIsDeadLetteredAndChangesNothing) {
  publish(kOrders, "ord_1", order("ord_1", {{kSku, 0}}));
  publish(kOrders, "", order("", {{kSku, 1}}));
  ASSERT_TRUE(
      eventually([&] { return bus_->messages(velocity::dead_letter_topic(kOrders)).size() == 2; }));
  flush_outbox();
  EXPECT_EQ(published<shop::StockReserved>().size(), 1u) << "the marker's only";
  EXPECT_TRUE(published<shop::StockRejected>().empty());
  EXPECT_EQ(stock(kSku).available, 100);
}

TEST_P(InventoryTest, AdminAdjustNeedsTheEdgeKeyAndAValidBody) {
  const std::string path = "/api/inventory/admin/adjust";
  const std::string restock = R"({"sku":")" + kSku + R"(","delta":10,"reason":"restock"})";
  EXPECT_EQ(http(port_, "POST", path, restock).status, 401);
  EXPECT_EQ(http(port_, "POST", path, restock, {{"X-Velocity-Edge-Key", "not-the-key"}}).status,
            401);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"delta":10,"reason":"restock"})", "sku"},
      {R"({"sku":"","delta":10,"reason":"restock"})", "sku"},
      {R"({"sku":")" + kSku + R"(","delta":1.5,"reason":"restock"})", "delta"},
      {R"({"sku":")" + kSku + R"(","delta":0,"reason":"restock"})", "delta"},
      {R"({"sku":")" + kSku + R"(","delta":"10","reason":"restock"})", "delta"},
      {R"({"sku":")" + kSku + R"(","delta":10,"reason":"found"})", "reason"},
      {R"({"sku":")" + kSku + R"(","delta":-10,"reason":"restock"})", "delta"},
      {R"({"sku":")" + kSku + R"(","delta":10,"reason":"write-off"})", "delta"},
  };
  for (const auto& [body, field] : bad) {
    auto answer = http(port_, "POST", path, body, edge());
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_EQ(answer.body["field"], field) << body;
  }
  EXPECT_EQ(http(port_, "POST", path, "[1]", edge()).status, 400);
  const size_t initial = seed_sku_count();
  ASSERT_TRUE(published_count<shop::StockAdjusted>(initial));
  EXPECT_EQ(published<shop::StockAdjusted>(kSku).size(), 1u) << "failed requests emit nothing";

  auto restocked = http(port_, "POST", path, restock, edge());
  ASSERT_EQ(restocked.status, 200);
  EXPECT_EQ(restocked.body,
            nlohmann::json({{"sku", kSku}, {"available", 110}, {"reserved", 0}, {"shipped", 0}}));
  ASSERT_TRUE(published_count<shop::StockAdjusted>(initial + 1));
  const auto adjusted = published<shop::StockAdjusted>(kSku).back();
  EXPECT_EQ(adjusted.delta, 10);
  EXPECT_EQ(adjusted.reason, "restock");
  ASSERT_EQ(adjusted.levels.size(), 1u);
  EXPECT_EQ(adjusted.levels[0].available, 110);

  auto too_much = http(port_, "POST", path,
                       R"({"sku":")" + kSku + R"(","delta":-111,"reason":"write-off"})", edge());
  EXPECT_EQ(too_much.status, 409);
  EXPECT_EQ(stock(kSku).available, 110);
  auto unknown = http(port_, "POST", path,
                      R"({"sku":"tee-new-M-blk","delta":-1,"reason":"write-off"})", edge());
  EXPECT_EQ(unknown.status, 409);
  EXPECT_EQ(http(port_, "GET", "/api/inventory/stock/tee-new-M-blk").status, 404);

  auto written_off = http(port_, "POST", path,
                          R"({"sku":")" + kSku + R"(","delta":-110,"reason":"write-off"})", edge());
  ASSERT_EQ(written_off.status, 200);
  EXPECT_EQ(written_off.body["available"], 0);

  // A restock of a SKU added to the catalogue later creates its stock line.
  auto added =
      http(port_, "POST", path, R"({"sku":"tee-new-M-blk","delta":5,"reason":"restock"})", edge());
  ASSERT_EQ(added.status, 200);
  EXPECT_EQ(added.body["available"], 5);
  ASSERT_TRUE(published_count<shop::StockAdjusted>(initial + 3));
  EXPECT_EQ(published<shop::StockAdjusted>(kSku).back().reason, "write-off");
  EXPECT_EQ(published<shop::StockAdjusted>(kSku).back().levels[0].available, 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, InventoryTest,
                         ::testing::Values(velocity::SqlDialect::kSqlite, velocity::SqlDialect::kPostgres),
                         velocity::testing::engine_name);

}  // namespace
}  // namespace inventory
