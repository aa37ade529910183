// The order saga end to end: real broker, eight services and the gateway as processes, driven
// over HTTP like a browser, mail received by a real SMTP server. One store for the whole suite;
// every test uses its own customers and SKUs so the tests do not see each other's effects.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "e2e/store.h"

namespace velocity::e2e {
namespace {

using namespace std::chrono_literals;

class SagaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { store_ = new Store(); }
  static void TearDownTestSuite() {
    // Once every test's orders are terminal, the databases must agree with each other.
    const auto verdict = store_->check_when_quiet();
    EXPECT_TRUE(verdict.ok()) << verdict.to_text();
    delete store_;
    store_ = nullptr;
  }

  static std::vector<std::string> history(const nlohmann::json& order) {
    std::vector<std::string> steps;
    for (const auto& h : order.value("history", nlohmann::json::array())) steps.push_back(h.value("status", ""));
    return steps;
  }

  // Mail to `email` whose subject contains `words`.
  static size_t mail_count(const std::string& email, const std::string& words) {
    size_t n = 0;
    for (const auto& m : store_->mail()) {
      const auto to = m.value("to", nlohmann::json::array());
      const bool to_them = std::find(to.begin(), to.end(), email) != to.end();
      if (to_them && m.value("subject", "").find(words) != std::string::npos) ++n;
    }
    return n;
  }

  template <typename F>
  static bool eventually(F done, std::chrono::seconds bound = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return done();
  }

  static Store* store_;
};

Store* SagaTest::store_ = nullptr;

TEST_F(SagaTest, ACustomerBuysTwoSizesAndTheOrderIsCompletedWithAnEmailPerStep) {
  auto& s = *store_;
  auto ada = s.register_customer("Ada");
  ASSERT_FALSE(ada.token.empty());

  const nlohmann::json credentials{{"email", ada.email}, {"password", "correct horse battery"}};
  auto login = s.call("POST", "/api/users/login", &credentials);
  ASSERT_EQ(login.status, 200) << login.raw;
  ada.token = login.body.value("token", "");

  auto search = s.call("GET", "/api/catalog/products?q=crew");
  ASSERT_EQ(search.status, 200) << search.raw;
  ASSERT_GE(search.body["products"].size(), 1u);
  EXPECT_EQ(search.body["products"][0]["product_id"], "tee-classic");

  const std::string small = "tee-classic-S-nvy";
  const std::string large = "tee-classic-L-nvy";
  const int64_t small_before = s.available(small);
  const int64_t large_before = s.available(large);
  for (const auto& [sku, qty] : std::vector<std::pair<std::string, int>>{{small, 1}, {large, 2}}) {
    const nlohmann::json item{{"sku", sku}, {"quantity", qty}};
    auto added = s.call("POST", "/api/cart/items", &item, ada.token);
    ASSERT_EQ(added.status, 200) << added.raw;
  }
  auto cart = s.call("GET", "/api/cart", nullptr, ada.token);
  ASSERT_EQ(cart.status, 200);
  ASSERT_EQ(cart.body["lines"].size(), 2u) << cart.raw;

  auto order = s.checkout(ada, {{small, 1}, {large, 2}});
  const std::string id = order.value("order_id", "");
  ASSERT_FALSE(id.empty()) << order.dump();
  EXPECT_EQ(order.value("total_cents", int64_t{0}), 3 * s.price_of(small));

  auto done = s.wait_for_status(ada, id, {"completed", "cancelled"});
  ASSERT_EQ(done.value("status", ""), "completed") << done.dump();
  const auto steps = history(done);
  for (const char* step : {"placed", "reserved", "confirmed", "scheduled", "dispatched", "delivered", "completed"}) {
    EXPECT_NE(std::find(steps.begin(), steps.end(), step), steps.end()) << "missing step " << step << " in "
                                                                        << done.dump();
  }
  EXPECT_EQ(s.available(small), small_before - 1);
  EXPECT_EQ(s.available(large), large_before - 2);
  EXPECT_TRUE(eventually([&] {
    auto c = s.call("GET", "/api/cart", nullptr, ada.token);
    return c.status == 200 && c.body["lines"].empty();
  })) << "the ordered lines did not leave the cart";

  auto payment = s.call("GET", "/api/payments/orders/" + id, nullptr, ada.token);
  ASSERT_EQ(payment.status, 200) << payment.raw;
  EXPECT_EQ(payment.body["status"], "authorized");

  ASSERT_TRUE(eventually([&] { return mail_count(ada.email, "delivered") == 1; })) << s.log_tail();
  EXPECT_EQ(mail_count(ada.email, "Welcome"), 1u);
  EXPECT_EQ(mail_count(ada.email, "confirmed"), 1u);
  EXPECT_EQ(mail_count(ada.email, "on its way"), 1u);
  EXPECT_EQ(mail_count(ada.email, "delivered"), 1u);
  EXPECT_EQ(mail_count(ada.email, "cancelled"), 0u);
}

TEST_F(SagaTest, AnOrderForStockThatIsGoneIsCancelledWithoutTakingPayment) {
  auto& s = *store_;
  auto bob = s.register_customer("Bob");
  const std::string sku = "tee-vneck-M-gry";
  s.set_available(sku, 0);
  auto order = s.checkout(bob, {{sku, 1}});
  const std::string id = order.value("order_id", "");
  ASSERT_FALSE(id.empty());
  auto done = s.wait_for_status(bob, id, {"cancelled", "completed"});
  EXPECT_EQ(done.value("status", ""), "cancelled");
  EXPECT_EQ(done.value("cancel_reason_code", ""), "out_of_stock") << done.dump();
  EXPECT_FALSE(done.value("cancel_reason", "").empty());
  EXPECT_EQ(s.call("GET", "/api/payments/orders/" + id, nullptr, bob.token).status, 404);
  EXPECT_EQ(s.available(sku), 0);
  EXPECT_TRUE(eventually([&] { return mail_count(bob.email, "cancelled") == 1; }));
}

TEST_F(SagaTest, ADeclinedCardReleasesTheStockAndCancelsWithTheReason) {
  auto& s = *store_;
  auto cy = s.register_customer("Cy");
  const std::string sku = "tee-pocket-M-olv";
  const int64_t before = s.available(sku);
  auto order = s.checkout(cy, {{sku, 2}}, "4000 0000 0000 0002");
  const std::string id = order.value("order_id", "");
  ASSERT_FALSE(id.empty());
  auto done = s.wait_for_status(cy, id, {"cancelled", "completed"});
  EXPECT_EQ(done.value("status", ""), "cancelled");
  EXPECT_EQ(done.value("cancel_reason_code", ""), "payment_declined") << done.dump();
  EXPECT_NE(done.value("cancel_reason", "").find("declined"), std::string::npos) << done.dump();
  EXPECT_TRUE(eventually([&] { return s.available(sku) == before; })) << "stock was not released";
  auto payment = s.call("GET", "/api/payments/orders/" + id, nullptr, cy.token);
  ASSERT_EQ(payment.status, 200);
  EXPECT_EQ(payment.body["status"], "declined");
}

TEST_F(SagaTest, CancellingBeforeDispatchRefundsReleasesAndCancelsTheShipment) {
  auto& s = *store_;
  auto di = s.register_customer("Di");
  const std::string sku = "tee-stripe-L-red";
  const int64_t before = s.available(sku);
  auto order = s.checkout(di, {{sku, 1}});
  const std::string id = order.value("order_id", "");
  ASSERT_FALSE(id.empty());
  // Dispatch comes 2 s after scheduling: cancel as soon as the order is confirmed.
  auto confirmed = s.wait_for_status(di, id, {"confirmed", "scheduled"});
  ASSERT_TRUE(confirmed.value("status", "") == "confirmed" || confirmed.value("status", "") == "scheduled");
  auto cancel = s.call("POST", "/api/orders/" + id + "/cancel", nullptr, di.token);
  ASSERT_EQ(cancel.status, 202) << cancel.raw;
  auto done = s.wait_for_status(di, id, {"cancelled"});
  EXPECT_EQ(done.value("cancel_reason_code", ""), "customer_request");

  EXPECT_TRUE(eventually([&] {
    auto p = s.call("GET", "/api/payments/orders/" + id, nullptr, di.token);
    return p.status == 200 && p.body["status"] == "refunded";
  })) << "no refund";
  EXPECT_TRUE(eventually([&] { return s.available(sku) == before; })) << "stock not released";
  EXPECT_TRUE(eventually([&] {
    auto sh = s.call("GET", "/api/shipping/orders/" + id, nullptr, di.token);
    return sh.status == 200 && sh.body["status"] == "cancelled";
  })) << "shipment not cancelled";
  // Too late to cancel twice.
  EXPECT_EQ(s.call("POST", "/api/orders/" + id + "/cancel", nullptr, di.token).status, 409);
}

TEST_F(SagaTest, TwoCustomersRacingForTheLastUnitGetExactlyOneConfirmedOrder) {
  auto& s = *store_;
  const std::string sku = "tee-graphic-wave-XL-sky";
  s.set_available(sku, 1);
  auto eve = s.register_customer("Eve");
  auto fay = s.register_customer("Fay");
  s.price_of(sku);
  auto a = std::async(std::launch::async, [&] { return s.checkout(eve, {{sku, 1}}); });
  auto b = std::async(std::launch::async, [&] { return s.checkout(fay, {{sku, 1}}); });
  const auto order_a = a.get();
  const auto order_b = b.get();
  auto done_a = s.wait_for_status(eve, order_a.value("order_id", ""), {"completed", "cancelled"});
  auto done_b = s.wait_for_status(fay, order_b.value("order_id", ""), {"completed", "cancelled"});
  std::multiset<std::string> outcomes{done_a.value("status", ""), done_b.value("status", "")};
  EXPECT_EQ(outcomes, (std::multiset<std::string>{"cancelled", "completed"}));
  const auto& lost = done_a.value("status", "") == "cancelled" ? done_a : done_b;
  EXPECT_EQ(lost.value("cancel_reason_code", ""), "out_of_stock");
  EXPECT_EQ(s.available(sku), 0);
}

TEST_F(SagaTest, ARepeatedCheckoutWithTheSameIdempotencyKeyIsOneOrder) {
  auto& s = *store_;
  auto gus = s.register_customer("Gus");
  const std::string sku = "tee-longsleeve-M-oat";
  auto first = s.checkout(gus, {{sku, 1}}, "4242 4242 4242 4242", "same-key");
  auto second = s.checkout(gus, {{sku, 1}}, "4242 4242 4242 4242", "same-key");
  ASSERT_FALSE(first.value("order_id", "").empty());
  EXPECT_EQ(first.value("order_id", ""), second.value("order_id", ""));
  auto list = s.call("GET", "/api/orders", nullptr, gus.token);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["orders"].size(), 1u) << list.raw;
}

TEST_F(SagaTest, ACustomerCannotSeeAnotherCustomersOrderCartOrProfile) {
  auto& s = *store_;
  auto hal = s.register_customer("Hal");
  auto ivy = s.register_customer("Ivy");
  auto order = s.checkout(hal, {{"tee-kids-S-grn", 1}});
  const std::string id = order.value("order_id", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(s.call("GET", "/api/orders/" + id, nullptr, hal.token).status, 200);
  EXPECT_EQ(s.call("GET", "/api/orders/" + id, nullptr, ivy.token).status, 404);
  EXPECT_EQ(s.call("POST", "/api/orders/" + id + "/cancel", nullptr, ivy.token).status, 404);
  EXPECT_EQ(s.call("GET", "/api/orders/" + id).status, 401);
  auto me = s.call("GET", "/api/users/me", nullptr, ivy.token);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["customer_id"], ivy.id);
  // A forged customer header from outside is ignored by the gateway.
  auto forged = s.call("GET", "/api/users/me", nullptr, "", {{"X-Velocity-Customer", hal.id}});
  EXPECT_EQ(forged.status, 401);
  s.wait_for_status(hal, id, {"completed", "cancelled"});
}

}  // namespace
}  // namespace velocity::e2e
