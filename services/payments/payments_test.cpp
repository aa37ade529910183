// The payments service driven by inventory's and orders' events on an in-memory bus, and read
// through its real HTTP route.
#include "payments/payments.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "shop/events.h"
#include "velocity/memory_bus.h"
#include "toolkit/service/test_kit.h"
#include "toolkit/store/postgres_test_server.h"
#include "toolkit/store/store_test_util.h"

namespace payments {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using velocity::Event;

using Http = velocity::testing::HttpReply;
using velocity::testing::eventually;
using velocity::testing::http;

constexpr const char* kGoodCard = "4242 4242 4242 4242";

// Every case runs on the embedded SQLite file and on a real PostgreSQL server
// (VELOCITY_DATABASE_URL), one fresh database per case.
class PaymentsTest : public ::testing::TestWithParam<velocity::SqlDialect> {
 protected:
  void SetUp() override {
    if (GetParam() == velocity::SqlDialect::kPostgres) {
      auto url = velocity::testing::fresh_postgres_database();
      ASSERT_TRUE(url) << url.error().message();
      database_url_ = *url;
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-payments-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<velocity::MemoryBus>();
    for (auto topic : {shop::topics::kInventory, shop::topics::kOrders}) {
      const std::string name(topic);
      ASSERT_TRUE(bus_->create_topic(name, 2));
      for (size_t tier = 1; tier <= 3; ++tier)
        ASSERT_TRUE(bus_->create_topic(velocity::retry_topic(name, tier), 2));
      ASSERT_TRUE(bus_->create_topic(velocity::dead_letter_topic(name), 2));
    }
    ASSERT_TRUE(bus_->create_topic(std::string(shop::topics::kPayments), 2));
    velocity::ServiceConfig config;
    config.name = "payments";
    config.data_dir = dir_;
    config.database_url = database_url_;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    config.retry.tier_delays = {50ms, 50ms, 50ms};
    auto service = velocity::Service::create(config, bus_, bus_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ASSERT_TRUE(install(*service_));
    ASSERT_TRUE(service_->start());
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

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
  Event reserve(const std::string& order_id, const std::string& card = kGoodCard,
                const std::string& customer = "cus_ada") {
    return publish(
        shop::topics::kInventory, order_id,
        shop::StockReserved{
            order_id, customer, {{"tee-classic-M-blk", 2}}, 5000, "EUR", {card, "Ada"}, {}});
  }
  Event cancel(const std::string& order_id) {
    return publish(shop::topics::kOrders, order_id,
                   shop::OrderCancelled{order_id, "cus_ada", "customer_request",
                                        "Cancelled at your request."});
  }
  std::vector<Event> payment_events(const std::string& order_id) const {
    std::vector<Event> out;
    for (const auto& message : bus_->messages(std::string(shop::topics::kPayments))) {
      auto event = velocity::from_message(message);
      if (event && event->subject == order_id) out.push_back(*event);
    }
    return out;
  }
  std::vector<std::string> payment_types(const std::string& order_id) const {
    std::vector<std::string> out;
    for (const auto& event : payment_events(order_id)) out.push_back(event.type);
    return out;
  }
  // Waits until payments has handled (and committed) every message published on `topic`.
  bool drained(std::string_view topic) {
    return eventually([&] {
      std::map<int32_t, int64_t> end;
      for (const auto& message : bus_->messages(std::string(topic)))
        end[message.partition] = message.offset + 1;
      for (const auto& [partition, offset] : end) {
        if (bus_->committed("payments", std::string(topic), partition) < offset) return false;
      }
      return true;
    });
  }
  // Authorises a marker order and waits for its event: the outbox publishes in commit order, so
  // everything committed before it is on the bus by then.
  void flush_outbox() {
    const auto marker = "ord_marker_" + std::to_string(++markers_);
    reserve(marker);
    ASSERT_TRUE(eventually([&] { return !payment_events(marker).empty(); }));
  }
  Http get(const std::string& order_id, const std::string& customer = "cus_ada") {
    return http(service_->http_port(), "GET", "/api/payments/orders/" + order_id,
                {}, {{"X-Velocity-Customer", customer}, {"X-Velocity-Edge-Key", service_->edge_key()}});
  }
  json wait_for(const std::string& order_id, const std::string& status) {
    json last;
    eventually([&] {
      last = get(order_id).body;
      return last.value("status", "") == status;
    });
    EXPECT_EQ(last.value("status", ""), status) << last.dump();
    return last;
  }
  // Every byte payments has on disk: its database and write-ahead log.
  std::string stored_bytes() const {
    std::string all;
    for (const auto& entry :
         std::filesystem::directory_iterator(service_->config().service_dir())) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      all += bytes.str();
    }
    return all;
  }

  std::filesystem::path dir_;
  std::string database_url_;  // empty: SQLite
  std::shared_ptr<velocity::MemoryBus> bus_;
  std::unique_ptr<velocity::Service> service_;
  int markers_ = 0;
};

TEST_P(PaymentsTest, AReservedOrderIsAuthorisedAndOnlyTheCardsLastFourDigitsAreKept) {
  reserve("ord_1");
  ASSERT_TRUE(eventually([&] { return payment_events("ord_1").size() == 1; }));
  const auto event = payment_events("ord_1").front();
  ASSERT_EQ(event.type, shop::PaymentAuthorized::kType);
  const auto data = event.data.get<shop::PaymentAuthorized>();
  EXPECT_EQ(data.order_id, "ord_1");
  EXPECT_EQ(data.customer_id, "cus_ada");
  EXPECT_EQ(data.amount_cents, 5000);
  EXPECT_EQ(data.currency, "EUR");
  EXPECT_EQ(data.card_last4, "4242");
  EXPECT_EQ(data.payment_id.rfind("pay_", 0), 0u);
  EXPECT_EQ(event.data.dump().find("4242424242424242"), std::string::npos);

  const auto payment = get("ord_1");
  EXPECT_EQ(payment.status, 200);
  EXPECT_EQ(payment.body["order_id"], "ord_1");
  EXPECT_EQ(payment.body["status"], "authorized");
  EXPECT_EQ(payment.body["amount_cents"], 5000);
  EXPECT_EQ(payment.body["currency"], "EUR");
  EXPECT_EQ(payment.body["card_last4"], "4242");
  EXPECT_EQ(payment.body["reason"], "");
  EXPECT_EQ(payment.body["payment_id"], data.payment_id);

  const auto bytes = stored_bytes();
  EXPECT_EQ(bytes.find("4242424242424242"), std::string::npos);
  EXPECT_EQ(bytes.find("4242 4242 4242 4242"), std::string::npos);
}

TEST_P(PaymentsTest, TheTestCardsAreDeclinedWithTheirReasons) {
  const std::vector<std::pair<std::string, std::string>> cards = {
      {"4000 0000 0000 0002", "Your card was declined."},
      {"4000000000009995", "Insufficient funds."},
      {"4000 0000 0000 0069", "Your card has expired."},
  };
  for (size_t i = 0; i < cards.size(); ++i) reserve("ord_" + std::to_string(i), cards[i].first);
  for (size_t i = 0; i < cards.size(); ++i) {
    const auto order_id = "ord_" + std::to_string(i);
    ASSERT_TRUE(eventually([&] { return payment_events(order_id).size() == 1; }));
    const auto event = payment_events(order_id).front();
    ASSERT_EQ(event.type, shop::PaymentDeclined::kType);
    const auto data = event.data.get<shop::PaymentDeclined>();
    EXPECT_EQ(data.reason, cards[i].second);
    EXPECT_EQ(data.customer_id, "cus_ada");
    EXPECT_EQ(data.card_last4, cards[i].first.substr(cards[i].first.size() - 4));
    const auto payment = get(order_id).body;
    EXPECT_EQ(payment["status"], "declined");
    EXPECT_EQ(payment["reason"], cards[i].second);
  }
}

TEST_P(PaymentsTest, ARedeliveredOrDuplicatedReservationIsAuthorisedOnce) {
  const auto reserved = reserve("ord_1");
  redeliver(shop::topics::kInventory, reserved);
  reserve("ord_1");  // the same reservation again under a new event id
  ASSERT_TRUE(drained(shop::topics::kInventory));
  flush_outbox();
  EXPECT_EQ(payment_types("ord_1"),
            std::vector<std::string>{std::string(shop::PaymentAuthorized::kType)});
  EXPECT_EQ(get("ord_1").body["payment_id"], payment_events("ord_1").front().data["payment_id"]);
}

TEST_P(PaymentsTest, ACancelledOrdersPaymentIsRefundedExactlyOnce) {
  reserve("ord_1");
  wait_for("ord_1", "authorized");
  const auto cancelled = cancel("ord_1");
  redeliver(shop::topics::kOrders, cancelled);
  cancel("ord_1");
  ASSERT_TRUE(drained(shop::topics::kOrders));
  flush_outbox();

  const auto events = payment_events("ord_1");
  ASSERT_EQ(events.size(), 2u);
  ASSERT_EQ(events[1].type, shop::PaymentRefunded::kType);
  const auto refund = events[1].data.get<shop::PaymentRefunded>();
  EXPECT_EQ(refund.payment_id, events[0].data["payment_id"].get<std::string>());
  EXPECT_EQ(refund.amount_cents, 5000);
  EXPECT_EQ(refund.currency, "EUR");
  EXPECT_EQ(refund.customer_id, "cus_ada");
  const auto payment = get("ord_1").body;
  EXPECT_EQ(payment["status"], "refunded");
  EXPECT_EQ(payment["reason"], "Cancelled at your request.");
}

TEST_P(PaymentsTest, AnOrderCancelledBeforeItsReservationIsNeverAuthorised) {
  cancel("ord_1");
  ASSERT_TRUE(drained(shop::topics::kOrders));
  reserve("ord_1");
  ASSERT_TRUE(drained(shop::topics::kInventory));
  cancel("ord_1");
  ASSERT_TRUE(drained(shop::topics::kOrders));
  flush_outbox();
  EXPECT_TRUE(payment_events("ord_1").empty());
  EXPECT_EQ(get("ord_1").status, 404);
}

TEST_P(PaymentsTest, ACancelAfterADeclineRefundsNothing) {
  reserve("ord_1", "4000 0000 0000 0002");
  wait_for("ord_1", "declined");
  cancel("ord_1");
  ASSERT_TRUE(drained(shop::topics::kOrders));
  flush_outbox();
  EXPECT_EQ(payment_types("ord_1"),
            std::vector<std::string>{std::string(shop::PaymentDeclined::kType)});
  EXPECT_EQ(get("ord_1").body["status"], "declined");
}

TEST_P(PaymentsTest, OnlyTheOwningCustomerSeesAPayment) {
  reserve("ord_1");
  wait_for("ord_1", "authorized");
  EXPECT_EQ(get("ord_1", "cus_bob").status, 404);
  EXPECT_EQ(get("ord_missing").status, 404);
  EXPECT_EQ(http(service_->http_port(), "GET", "/api/payments/orders/ord_1").status, 401);
}

TEST_P(PaymentsTest, AReservationWithoutAnOrderIdIsDeadLettered) {
  reserve("");
  ASSERT_TRUE(eventually([&] {
    return bus_->messages(velocity::dead_letter_topic(std::string(shop::topics::kInventory)))
               .size() == 1;
  }));
}

INSTANTIATE_TEST_SUITE_P(Engines, PaymentsTest,
                         ::testing::Values(velocity::SqlDialect::kSqlite, velocity::SqlDialect::kPostgres),
                         velocity::testing::engine_name);

}  // namespace
}  // namespace payments
