// MemoryBus behaviour beyond the conformance suite: backpressure, the committed prefix and
// injected publish failures.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "velocity/memory_bus.h"
#include "velocity/metrics.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

Message message(std::string payload) {
  Message m;
  m.topic = "t";
  m.key = "k";
  m.payload = std::move(payload);
  return m;
}

// Keeps deliveries without settling them, so a test decides when to ack.
struct Held {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Delivery> deliveries;
  std::function<void(Delivery)> handler() {
    return [this](Delivery d) {
      std::lock_guard lock(mutex);
      deliveries.push_back(std::move(d));
      changed.notify_all();
    };
  }
  bool wait_for(size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return deliveries.size() >= n; });
  }
  size_t size() {
    std::lock_guard lock(mutex);
    return deliveries.size();
  }
};

TEST(MemoryBus, StopsDeliveringAtMaxInFlightUntilAnAck) {
  MemoryBus bus;
  ASSERT_TRUE(bus.create_topic("t", 1));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bus.publish(message("m" + std::to_string(i))));
  Held held;
  auto sub = bus.subscribe(SubscribeOptions{{"t"}, "g", StartFrom::kEarliest, 2}, held.handler());
  ASSERT_TRUE(sub);
  ASSERT_TRUE(held.wait_for(2));
  EXPECT_EQ(held.size(), 2u);  // two await ack: the third waits
  // One ack frees exactly one slot.
  held.deliveries[0].ack();
  ASSERT_TRUE(held.wait_for(3));
  EXPECT_EQ(held.size(), 3u);
  (*sub)->close(0ms);
}

TEST(MemoryBus, CommitsOnlyTheContiguousAckedPrefix) {
  MemoryBus bus;
  ASSERT_TRUE(bus.create_topic("t", 1));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bus.publish(message("m" + std::to_string(i))));
  Held held;
  auto sub = bus.subscribe(SubscribeOptions{{"t"}, "g"}, held.handler());
  ASSERT_TRUE(sub);
  ASSERT_TRUE(held.wait_for(3));
  held.deliveries[1].ack();
  held.deliveries[2].ack();
  EXPECT_EQ(bus.committed("g", "t", 0), 0);  // m0 still open: nothing past it is committed
  held.deliveries[0].ack();
  EXPECT_EQ(bus.committed("g", "t", 0), 3);
  (*sub)->close(0ms);
}

TEST(MemoryBus, InjectedPublishFailuresAppendNothing) {
  MemoryBus bus;
  bus.fail_next_publishes(1);
  auto failed = bus.publish(message("lost"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kIo);
  EXPECT_TRUE(bus.messages("t").empty());
  ASSERT_TRUE(bus.publish(message("kept")));
  ASSERT_EQ(bus.messages("t").size(), 1u);
  EXPECT_EQ(bus.messages("t").front().payload, "kept");
}

double per_topic(const std::string& name, const std::string& topic) {
  return metrics::default_registry().counter(name, "", {{"topic", topic}}).value();
}

TEST(MemoryBus, CountsProducedAndDeliveredMessagesPerTopic) {
  MemoryBus bus;
  Message m = message("m");
  m.topic = "metrics.t";
  // Deltas: the registry lives as long as the test binary, which may repeat this test.
  const double produced = per_topic("velocity_messages_produced_total", "metrics.t");
  const double delivered = per_topic("velocity_messages_delivered_total", "metrics.t");
  bus.fail_next_publishes(1);
  ASSERT_FALSE(bus.publish(m));  // refused: not produced
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bus.publish(m));
  EXPECT_EQ(per_topic("velocity_messages_produced_total", "metrics.t") - produced, 3.0);
  EXPECT_EQ(per_topic("velocity_messages_delivered_total", "metrics.t") - delivered, 0.0);
  Held held;
  auto sub = bus.subscribe(SubscribeOptions{{"metrics.t"}, "g"}, held.handler());
  ASSERT_TRUE(sub);
  ASSERT_TRUE(held.wait_for(3));
  EXPECT_EQ(per_topic("velocity_messages_delivered_total", "metrics.t") - delivered, 3.0);
  (*sub)->close(0ms);
}

}  // namespace
}  // namespace velocity
