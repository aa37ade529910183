#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "toolkit/events/fake_bus_test_util.h"
#include "velocity/dead_letter.h"
#include "velocity/router.h"

namespace velocity {
namespace {

using testing::FakeBus;
using namespace std::chrono_literals;

struct PaymentRequested {
  static constexpr std::string_view kType = "shop.payment.requested.v1";
  std::string order_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PaymentRequested, order_id)

Message payment(const std::string& order) {
  auto event = make_event("/services/orders", order, PaymentRequested{order},
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  return to_message(event, "payments").value();
}

RouterOptions options(std::vector<std::chrono::milliseconds> tiers) {
  RouterOptions o;
  o.topic = "payments";
  o.group = "test";
  o.workers = 2;
  o.retry.in_place_attempts = 2;
  o.retry.initial_backoff = 1ms;
  o.retry.tier_delays = std::move(tiers);
  return o;
}

TEST(RetryTiers, FailingEventIsRetriedInPlaceThenPerTierThenDeadLetteredWithProvenance) {
  FakeBus bus;
  Router router(bus, bus, options({5ms, 10ms}));
  std::atomic<int> calls{0};
  router.on<PaymentRequested>([&](const PaymentRequested&) -> Result<void> {
    ++calls;
    return fail(ErrorCode::kTimeout, "card processor did not answer");
  });
  ASSERT_TRUE(router.start());
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(bus.publish(payment("order-1")));
  ASSERT_TRUE(bus.wait_for_messages("payments.dlq", 1));
  ASSERT_TRUE(bus.wait_for_acks("test", "payments.retry.2", 1));

  EXPECT_EQ(calls.load(), 6);  // 2 in place at each of: the topic, tier 1, tier 2
  EXPECT_EQ(bus.acked("test", "payments"), std::set<int64_t>{0});
  ASSERT_EQ(bus.messages("payments.retry.1").size(), 1u);
  ASSERT_EQ(bus.messages("payments.retry.2").size(), 1u);
  EXPECT_EQ(bus.messages("payments.retry.1")[0].header(kAttemptsHeader), "2");
  EXPECT_EQ(bus.messages("payments.retry.1")[0].header("traceparent"),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(bus.messages("payments.retry.2")[0].header("traceparent"),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

  const Message dead = bus.messages("payments.dlq").at(0);
  EXPECT_EQ(dead.key, "order-1");
  EXPECT_EQ(dead.payload, payment("order-1").payload);
  EXPECT_EQ(dead.header(kOriginalTopicHeader), "payments");
  EXPECT_EQ(dead.header(kOriginalPartitionHeader), "0");
  EXPECT_EQ(dead.header(kOriginalOffsetHeader), "0");
  EXPECT_EQ(dead.header(kAttemptsHeader), "6");
  EXPECT_NE(dead.header(kErrorHeader)->find("card processor did not answer"), std::string::npos);
  EXPECT_FALSE(dead.header(kRetryDueHeader));
  const auto first = parse_rfc3339(*dead.header(kFirstFailureHeader)).value();
  const auto last = parse_rfc3339(*dead.header(kLastFailureHeader)).value();
  EXPECT_GE(first, std::chrono::floor<std::chrono::milliseconds>(before));
  // The last failure came after both tier delays.
  EXPECT_GE(last - first, 12ms);  // 5 + 10 ms, less millisecond rounding
  // The event itself, trace context included, travels unchanged.
  EXPECT_EQ(dead.header("ce_type"), "shop.payment.requested.v1");
  EXPECT_EQ(dead.header("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(RetryTiers, EventThatSucceedsOnARetryTierIsHandledOnce) {
  FakeBus bus;
  Router router(bus, bus, options({1ms}));
  std::atomic<int> calls{0};
  std::atomic<int> successes{0};
  router.on<PaymentRequested>([&](const PaymentRequested&) -> Result<void> {
    if (++calls <= 2) return fail(ErrorCode::kIo, "database busy");
    ++successes;
    return {};
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(payment("order-1")));
  ASSERT_TRUE(bus.wait_for_acks("test", "payments.retry.1", 1));
  EXPECT_EQ(successes.load(), 1);
  EXPECT_TRUE(bus.messages("payments.dlq").empty());
}

TEST(RetryTiers, FailingKeyDoesNotDelayOtherKeys) {
  FakeBus bus;
  // The failing event waits an hour in tier 1: everything else must get through meanwhile.
  Router router(bus, bus, options({1h}));
  std::atomic<int> failing_calls{0};
  std::mutex mu;
  std::vector<std::string> handled;
  router.on<PaymentRequested>([&](const PaymentRequested& p) -> Result<void> {
    if (p.order_id == "order-bad") {
      ++failing_calls;
      return fail(ErrorCode::kIo, "downstream unavailable");
    }
    std::lock_guard lock(mu);
    handled.push_back(p.order_id);
    return {};
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(payment("order-bad")));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(bus.publish(payment("order-" + std::to_string(i))));
  ASSERT_TRUE(bus.wait_for_acks("test", "payments", 21));
  ASSERT_TRUE(bus.wait_for_messages("payments.retry.1", 1));
  EXPECT_EQ(failing_calls.load(), 2);  // in place only; tier 1 is not due yet
  EXPECT_TRUE(bus.acked("test", "payments.retry.1").empty());
  EXPECT_TRUE(bus.messages("payments.dlq").empty());
  std::lock_guard lock(mu);
  EXPECT_EQ(handled.size(), 20u);
}

TEST(RetryTiers, PoisonGoesToTheDeadLetterTopicAtOnce) {
  FakeBus bus;
  Router router(bus, bus, options({1ms, 1ms}));
  std::atomic<int> calls{0};
  router.on<PaymentRequested>([&](const PaymentRequested&) -> Result<void> {
    ++calls;
    return poison("order total is negative");
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(payment("order-1")));
  ASSERT_TRUE(bus.wait_for_messages("payments.dlq", 1));
  ASSERT_TRUE(bus.wait_for_acks("test", "payments", 1));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(bus.messages("payments.retry.1").empty());
  const Message dead = bus.messages("payments.dlq").at(0);
  EXPECT_EQ(dead.header(kAttemptsHeader), "1");
  EXPECT_NE(dead.header(kErrorHeader)->find("order total is negative"), std::string::npos);
}

TEST(RetryTiers, ThrowingHandlerFailsTheEventWithoutCrashing) {
  FakeBus bus;
  Router router(bus, bus, options({}));
  router.on<PaymentRequested>([](const PaymentRequested&) -> Result<void> {
    throw std::runtime_error("boom");
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(payment("order-1")));
  ASSERT_TRUE(bus.wait_for_messages("payments.dlq", 1));
  EXPECT_NE(bus.messages("payments.dlq")[0].header(kErrorHeader)->find("boom"), std::string::npos);
  EXPECT_EQ(bus.messages("payments.dlq")[0].header(kAttemptsHeader), "2");
}

}  // namespace
}  // namespace velocity
