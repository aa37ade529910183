#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <optional>

#include "toolkit/events/fake_bus_test_util.h"
#include "velocity/metrics.h"
#include "velocity/router.h"
#include "velocity/trace.h"

namespace velocity {
namespace {

using testing::FakeBus;
using namespace std::chrono_literals;

struct StockReserved {
  static constexpr std::string_view kType = "shop.stock.reserved.v1";
  std::string order_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(StockReserved, order_id)

constexpr std::string_view kIncoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

// Each test uses its own topic, so the series it reads are its own even though the registry
// is shared by the whole test binary.
RouterOptions options(const std::string& topic, std::vector<std::chrono::milliseconds> tiers = {}) {
  RouterOptions o;
  o.topic = topic;
  o.group = "test";
  o.workers = 2;
  o.retry.in_place_attempts = 2;
  o.retry.initial_backoff = 1ms;
  o.retry.tier_delays = std::move(tiers);
  return o;
}

Message reserved(const std::string& topic, const std::string& order, std::optional<std::string> traceparent = std::nullopt) {
  return to_message(make_event("/services/inventory", order, StockReserved{order}, traceparent), topic).value();
}

double consumed(const std::string& topic, const std::string& type) {
  return metrics::default_registry()
      .counter("velocity_events_consumed_total", "", {{"topic", topic}, {"type", type}})
      .value();
}
double counter(const std::string& name, const std::string& topic) {
  return metrics::default_registry().counter(name, "", {{"topic", topic}}).value();
}
uint64_t handler_calls() {
  return metrics::default_registry()
      .histogram("velocity_handler_seconds", "", {{"type", std::string(StockReserved::kType)}})
      .snapshot()
      .count;
}

TEST(RouterObservability, CountsConsumedEventsRetriesDeadLettersAndHandlerCalls) {
  FakeBus bus;
  Router router(bus, bus, options("obs.counts", {1ms}));
  router.on<StockReserved>([&](const StockReserved& s) -> Result<void> {
    if (s.order_id == "bad") return fail(ErrorCode::kTimeout, "warehouse down");
    return {};
  });
  // Deltas: the registry lives as long as the test binary, which may repeat this test.
  const std::string type(StockReserved::kType);
  const double consumed_before = consumed("obs.counts", type);
  const double unknown_before = consumed("obs.counts", "unknown");
  const double retried_before = consumed("obs.counts.retry.1", type);
  const double retries_before = counter("velocity_handler_retries_total", "obs.counts");
  const double dead_before = counter("velocity_dead_letters_total", "obs.counts");
  const uint64_t calls_before = handler_calls();
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(reserved("obs.counts", "good")));
  ASSERT_TRUE(bus.publish(reserved("obs.counts", "bad")));
  Message other = reserved("obs.counts", "other");
  for (auto& h : other.headers) {
    if (h.name == "ce_type") h.value = "shop.stock.unheard_of.v1";
  }
  ASSERT_TRUE(bus.publish(other));
  ASSERT_TRUE(bus.wait_for_messages("obs.counts.dlq", 2));
  ASSERT_TRUE(bus.wait_for_acks("test", "obs.counts", 3));
  ASSERT_TRUE(bus.wait_for_acks("test", "obs.counts.retry.1", 1));

  EXPECT_EQ(consumed("obs.counts", type) - consumed_before, 2.0);
  EXPECT_EQ(consumed("obs.counts", "unknown") - unknown_before, 1.0);
  EXPECT_EQ(consumed("obs.counts.retry.1", type) - retried_before, 1.0);
  // "bad": 2 calls on the topic, 2 on the retry tier; all but the first are retries.
  EXPECT_EQ(counter("velocity_handler_retries_total", "obs.counts") - retries_before, 3.0);
  EXPECT_EQ(counter("velocity_dead_letters_total", "obs.counts") - dead_before, 2.0);
  EXPECT_EQ(handler_calls() - calls_before, 5u);  // 1 for "good", 4 for "bad"
}

TEST(RouterObservability, HandlerRunsInAChildSpanOfTheEventsTrace) {
  FakeBus bus;
  Router router(bus, bus, options("obs.trace"));
  std::mutex mu;
  std::optional<trace::TraceContext> seen;
  router.on<StockReserved>([&](const StockReserved&) -> Result<void> {
    std::lock_guard lock(mu);
    seen = trace::current();
    return {};
  });
  ASSERT_TRUE(router.start());
  ASSERT_TRUE(bus.publish(reserved("obs.trace", "order-1", std::string(kIncoming))));
  ASSERT_TRUE(bus.wait_for_acks("test", "obs.trace", 1));
  const auto incoming = trace::parse_traceparent(kIncoming).value();
  std::lock_guard lock(mu);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->trace_id, incoming.trace_id);
  EXPECT_NE(seen->parent_id, incoming.parent_id);
  EXPECT_TRUE(seen->sampled());
}

TEST(RouterObservability, EventWithoutTraceStartsOneAndTheWorkerForgetsItAfterwards) {
  FakeBus bus;
  Router router(bus, bus, options("obs.root"));
  std::mutex mu;
  std::vector<std::optional<trace::TraceContext>> seen;
  router.on<StockReserved>([&](const StockReserved&) -> Result<void> {
    std::lock_guard lock(mu);
    seen.push_back(trace::current());
    return {};
  });
  ASSERT_TRUE(router.start());
  // Same key, so the same worker thread handles both, one after the other.
  ASSERT_TRUE(bus.publish(reserved("obs.root", "order-1")));
  ASSERT_TRUE(bus.publish(reserved("obs.root", "order-1")));
  ASSERT_TRUE(bus.wait_for_acks("test", "obs.root", 2));
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_TRUE(seen[0] && seen[1]);
  EXPECT_NE(seen[0]->trace_id, seen[1]->trace_id);  // each event its own new trace
}

}  // namespace
}  // namespace velocity
