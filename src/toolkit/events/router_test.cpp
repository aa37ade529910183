#include "velocity/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>

#include "toolkit/events/fake_bus_test_util.h"

namespace velocity {
namespace {

using testing::FakeBus;
using namespace std::chrono_literals;

struct ItemAdded {
  static constexpr std::string_view kType = "shop.cart.item_added.v1";
  std::string cart_id;
  int seq = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ItemAdded, cart_id, seq)

constexpr size_t kWorkers = 4;

Message item(const std::string& cart, int seq) {
  return to_message(make_event("/services/cart", cart, ItemAdded{cart, seq}), "carts").value();
}

RouterOptions options() {
  RouterOptions o;
  o.topic = "carts";
  o.group = "test";
  o.workers = kWorkers;
  o.retry.in_place_attempts = 1;
  o.retry.tier_delays = {};
  return o;
}

// A key that the router's worker pool puts on another worker than `key` (the pool hashes keys
// with std::hash over the worker count).
std::string key_on_other_worker(const std::string& key) {
  const auto lane = [](const std::string& k) { return std::hash<std::string_view>{}(k) % kWorkers; };
  for (int i = 0;; ++i) {
    auto candidate = "cart-" + std::to_string(i);
    if (lane(candidate) != lane(key)) return candidate;
  }
}

TEST(Router, AcksOnlyAfterTheHandlerReturnedSuccess) {
  FakeBus bus;
  Router router(bus, bus, options());
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  router.on<ItemAdded>([&](const ItemAdded&) -> Result<void> {
    entered.set_value();
    released.wait();
    return {};
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(item("cart-a", 1)));
  entered.get_future().wait();
  EXPECT_TRUE(bus.acked("test", "carts").empty());
  release.set_value();
  ASSERT_TRUE(bus.wait_for_acks("test", "carts", 1));
  EXPECT_EQ(bus.acked("test", "carts"), std::set<int64_t>{0});
}

TEST(Router, OneKeyIsHandledInOrderWhileOtherKeysRunConcurrently) {
  FakeBus bus;
  Router router(bus, bus, options());
  const std::string a = "cart-a";
  const std::string b = key_on_other_worker(a);
  std::promise<void> release_a;
  auto a_released = release_a.get_future().share();
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;
  router.on<ItemAdded>([&](const ItemAdded& e) -> Result<void> {
    if (e.cart_id == a && e.seq == 1) a_released.wait();
    std::lock_guard lock(mu);
    seen[e.cart_id].push_back(e.seq);
    return {};
  });
  ASSERT_TRUE(router.start());
  for (int seq = 1; seq <= 3; ++seq) ASSERT_TRUE(bus.publish(item(a, seq)));
  for (int seq = 1; seq <= 3; ++seq) ASSERT_TRUE(bus.publish(item(b, seq)));
  // b completes while a's first event is still blocked, and a's later events wait behind it.
  ASSERT_TRUE(bus.wait_for_acks("test", "carts", 3));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen[b], (std::vector<int>{1, 2, 3}));
    EXPECT_TRUE(seen[a].empty());
  }
  EXPECT_EQ(bus.acked("test", "carts"), (std::set<int64_t>{3, 4, 5}));
  release_a.set_value();
  ASSERT_TRUE(bus.wait_for_acks("test", "carts", 6));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen[a], (std::vector<int>{1, 2, 3}));
}

TEST(Router, MiddlewareWrapsHandlersFirstRegisteredOutermost) {
  FakeBus bus;
  Router router(bus, bus, options());
  std::vector<std::string> trace;
  std::mutex mu;
  const auto tag = [&](std::string name) -> Middleware {
    return [&, name](Handler next) -> Handler {
      return [&, name, next](const Event& e) {
        { std::lock_guard lock(mu); trace.push_back(name + ">"); }
        auto r = next(e);
        { std::lock_guard lock(mu); trace.push_back("<" + name); }
        return r;
      };
    };
  };
  router.use(tag("outer"));
  router.use(tag("inner"));
  router.on(std::string(ItemAdded::kType), [&](const Event& e) -> Result<void> {
    std::lock_guard lock(mu);
    trace.push_back(e.subject);
    return {};
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(item("cart-a", 1)));
  ASSERT_TRUE(bus.wait_for_acks("test", "carts", 1));
  std::lock_guard lock(mu);
  EXPECT_EQ(trace, (std::vector<std::string>{"outer>", "inner>", "cart-a", "<inner", "<outer"}));
}

TEST(Router, TypedHandlerSeesTheDecodedContractAndTheEnvelope) {
  FakeBus bus;
  Router router(bus, bus, options());
  std::promise<std::pair<ItemAdded, std::string>> got;
  router.on<ItemAdded>([&](const ItemAdded& e, const Event& env) -> Result<void> {
    got.set_value({e, env.source});
    return {};
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(item("cart-a", 7)));
  const auto [value, source] = got.get_future().get();
  EXPECT_EQ(value.cart_id, "cart-a");
  EXPECT_EQ(value.seq, 7);
  EXPECT_EQ(source, "/services/cart");
}

TEST(Router, MalformedEventsGoToTheDeadLetterTopicAndAreAcked) {
  FakeBus bus;
  Router router(bus, bus, options());
  std::atomic<int> handled{0};
  router.on<ItemAdded>([&](const ItemAdded&) -> Result<void> {
    ++handled;
    return {};
  });
  ASSERT_TRUE(router.start());
  Message not_cloudevent{.topic = "carts", .key = "cart-a", .payload = "{}"};
  Message bad_json = item("cart-a", 1);
  bad_json.payload = "{not json";
  Message wrong_shape = item("cart-a", 2);
  wrong_shape.payload = R"({"cart_id": 5})";
  Message unknown = item("cart-a", 3);
  unknown.set_header("ce_type", "shop.cart.emptied.v1");
  ASSERT_TRUE(bus.publish(std::vector{not_cloudevent, bad_json, wrong_shape, unknown}));
  ASSERT_TRUE(bus.publish(item("cart-a", 4)));
  ASSERT_TRUE(bus.wait_for_acks("test", "carts", 5));
  const auto dlq = bus.messages("carts.dlq");
  ASSERT_EQ(dlq.size(), 4u);
  EXPECT_NE(dlq[0].header("velocity_error")->find("ce_specversion"), std::string::npos);
  EXPECT_NE(dlq[1].header("velocity_error")->find("not valid JSON"), std::string::npos);
  EXPECT_NE(dlq[2].header("velocity_error")->find("poison"), std::string::npos);
  EXPECT_NE(dlq[3].header("velocity_error")->find("no handler"), std::string::npos);
  EXPECT_EQ(dlq[1].payload, "{not json");
  EXPECT_EQ(handled.load(), 1);
}

TEST(Router, UnknownTypesCanBeAckedAndIgnored) {
  FakeBus bus;
  auto o = options();
  o.unknown_types = UnknownTypePolicy::kIgnore;
  Router router(bus, bus, o);
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(item("cart-a", 1)));
  ASSERT_TRUE(bus.wait_for_acks("test", "carts", 1));
  EXPECT_TRUE(bus.messages("carts.dlq").empty());
}

TEST(Router, EventStaysUnackedWhenItCannotBeMovedOnAndIsRetriedLater) {
  FakeBus bus;
  Router router(bus, bus, options());
  router.on<ItemAdded>([](const ItemAdded&) -> Result<void> { return poison("bad item"); });
  bus.fail_publishes_to("carts.dlq", true);
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(item("cart-a", 1)));
  ASSERT_TRUE(bus.wait_until([&] { return bus.nacks() >= 1; }));
  EXPECT_TRUE(bus.acked("test", "carts").empty());
  bus.fail_publishes_to("carts.dlq", false);
  ASSERT_TRUE(bus.wait_for_acks("test", "carts", 1));
  EXPECT_EQ(bus.messages("carts.dlq").size(), 1u);
}

}  // namespace
}  // namespace velocity
