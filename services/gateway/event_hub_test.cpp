#include "gateway/event_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

namespace velocity::gateway {
namespace {

Event order_event(const std::string& customer, const std::string& id,
                  std::string type = "shop.order.confirmed.v1") {
  Event event;
  event.id = id;
  event.source = "/services/orders";
  event.type = std::move(type);
  event.subject = "order-" + id;
  event.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1714566600123));
  event.data = {{"order_id", "order-" + id}, {"customer_id", customer}};
  return event;
}

HubOptions small(size_t per_customer = 8, size_t customers = 16, size_t queue = 64) {
  return HubOptions{per_customer, customers, queue, 1};
}

// The id of every frame in `frames` (the number after "id: ").
std::vector<uint64_t> ids(const std::vector<Frame>& frames) {
  std::vector<uint64_t> out;
  for (const auto& f : frames) out.push_back(std::stoull(f->substr(4, f->find('\n') - 4)));
  return out;
}

TEST(EventHub, FrameCarriesSequenceTypeAndEnvelope) {
  const std::string frame = format_sse_frame(7, order_event("c1", "e1"));
  EXPECT_EQ(frame,
            "id: 7\nevent: shop.order.confirmed.v1\ndata: "
            "{\"data\":{\"customer_id\":\"c1\",\"order_id\":\"order-e1\"},\"id\":\"e1\","
            "\"subject\":\"order-e1\","
            "\"time\":\"2024-05-01T12:30:00.123Z\",\"type\":\"shop.order.confirmed.v1\"}\n\n");
}

TEST(EventHub, DataWithNewlinesStaysOnOneDataLine) {
  Event event = order_event("c1", "e1");
  event.data["reason"] = "line one\nline two\r\n";
  const std::string frame = format_sse_frame(1, event);
  EXPECT_EQ(frame.find("\n\n"), frame.size() - 2);
  EXPECT_EQ(std::count(frame.begin(), frame.end(), '\n'), 4);
}

TEST(EventHub, EventsReachOnlyTheirCustomersClients) {
  metrics::Registry registry;
  EventHub hub(small(), registry);
  auto alice = hub.attach("alice", std::nullopt);
  auto alice_tab = hub.attach("alice", std::nullopt);
  auto bob = hub.attach("bob", std::nullopt);
  ASSERT_TRUE(hub.publish(order_event("alice", "1")));
  ASSERT_TRUE(hub.publish(order_event("bob", "2")));
  ASSERT_TRUE(hub.publish(order_event("alice", "3")));

  const auto a = alice->take().frames;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_NE(a[0]->find("\"order-1\""), std::string::npos);
  EXPECT_NE(a[1]->find("\"order-3\""), std::string::npos);
  EXPECT_EQ(alice_tab->take().frames.size(), 2u);
  const auto b = bob->take().frames;
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(b[0]->find("\"order-2\""), std::string::npos);
  EXPECT_EQ(ids(a), (std::vector<uint64_t>{1, 3})) << "one gateway-wide sequence";
}

TEST(EventHub, EventsAboutNoCustomerAreIgnored) {
  metrics::Registry registry;
  EventHub hub(small(), registry);
  Event stock = order_event("x", "1", "shop.inventory.stock_adjusted.v1");
  stock.data = {{"sku", "tee-M-BLK"}, {"delta", 5}};
  EXPECT_FALSE(hub.publish(stock));
  stock.data["customer_id"] = 42;  // not a string
  EXPECT_FALSE(hub.publish(stock));
  stock.data["customer_id"] = "";
  EXPECT_FALSE(hub.publish(stock));
  EXPECT_EQ(hub.last_seq(), 0u);
}

TEST(EventHub, RedeliveredEventIsNotSentTwice) {
  metrics::Registry registry;
  EventHub hub(small(), registry);
  auto client = hub.attach("alice", std::nullopt);
  EXPECT_TRUE(hub.publish(order_event("alice", "1")));
  EXPECT_FALSE(hub.publish(order_event("alice", "1")));
  EXPECT_EQ(client->take().frames.size(), 1u);
}

TEST(EventHub, ResumeReplaysExactlyTheEventsAfterLastEventId) {
  metrics::Registry registry;
  EventHub hub(small(), registry);
  for (int i = 1; i <= 5; ++i) hub.publish(order_event(i % 2 ? "alice" : "bob", std::to_string(i)));
  // alice has seqs 1, 3, 5; she saw up to 3.
  auto client = hub.attach("alice", 3);
  EXPECT_EQ(ids(client->take().frames), (std::vector<uint64_t>{5}));
  hub.publish(order_event("alice", "6"));
  EXPECT_EQ(ids(client->take().frames), (std::vector<uint64_t>{6}));
  EXPECT_TRUE(hub.attach("alice", 6)->take().frames.empty());
}

TEST(EventHub, ReconnectsDuringPublishingNeverLoseOrRepeatAnEvent) {
  metrics::Registry registry;
  EventHub hub(HubOptions{10000, 16, 10000, 1}, registry);
  constexpr int kEvents = 3000;
  // A browser connected before anything is published, that keeps reconnecting with the last
  // id it received while events for it and for another customer are published.
  auto client = hub.attach("alice", std::nullopt);
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (int i = 0; i < kEvents; ++i) {
      hub.publish(order_event("alice", "a" + std::to_string(i)));
      hub.publish(order_event("bob", "b" + std::to_string(i)));
    }
    done = true;
  });
  std::vector<uint64_t> received;
  int reconnects = 0;
  for (;;) {
    const bool finished = done;
    for (auto id : ids(client->take().frames)) received.push_back(id);
    if (finished) break;  // everything was published before that take
    if (!received.empty()) {
      hub.detach(client);
      client = hub.attach("alice", received.back());
      ++reconnects;
    }
  }
  publisher.join();
  std::vector<uint64_t> expected;
  for (uint64_t seq = 1; seq <= hub.last_seq(); seq += 2) expected.push_back(seq);  // alice's: odd
  EXPECT_EQ(received, expected) << "after " << reconnects << " reconnects";
}

TEST(EventHub, ClientThatFallsTooFarBehindIsEndedAndCanResume) {
  metrics::Registry registry;
  EventHub hub(small(/*per_customer=*/16, 16, /*queue=*/3), registry);
  int wakes = 0;
  auto slow = hub.attach("alice", std::nullopt, [&] { ++wakes; });
  for (int i = 1; i <= 3; ++i) hub.publish(order_event("alice", std::to_string(i)));
  auto first = slow->take();
  EXPECT_EQ(first.frames.size(), 3u);
  EXPECT_EQ(first.end, SseClient::End::kNone);
  for (int i = 4; i <= 7; ++i) hub.publish(order_event("alice", std::to_string(i)));
  const auto batch = slow->take();
  EXPECT_EQ(batch.end, SseClient::End::kSlow);
  EXPECT_EQ(hub.clients(), 0u);
  EXPECT_GE(wakes, 4);
  // It had received up to 3: resuming replays 4..7 from the buffer.
  auto again = hub.attach("alice", 3);
  EXPECT_EQ(ids(again->take().frames), (std::vector<uint64_t>{4, 5, 6, 7}));
}

TEST(EventHub, ResumeFromBeyondTheBufferGetsOneResync) {
  metrics::Registry registry;
  EventHub hub(small(/*per_customer=*/2), registry);
  for (int i = 1; i <= 5; ++i) hub.publish(order_event("alice", std::to_string(i)));
  auto client = hub.attach("alice", 1);  // 2 was evicted
  const auto frames = client->take().frames;
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0]->starts_with("id: 5\nevent: resync\ndata: "));
  EXPECT_TRUE(hub.attach("alice", 3)->take().frames.size() == 2u) << "4 and 5 are still buffered";
}

TEST(EventHub, IdFromAnotherGatewayOrRunGetsResync) {
  metrics::Registry registry;
  EventHub hub(HubOptions{8, 8, 8, 1000}, registry);
  hub.publish(order_event("alice", "1"));
  const auto before_start = hub.attach("alice", 10)->take().frames;
  ASSERT_EQ(before_start.size(), 1u);
  EXPECT_NE(before_start[0]->find("event: resync"), std::string::npos);
  const auto from_future = hub.attach("alice", 5000)->take().frames;
  ASSERT_EQ(from_future.size(), 1u);
  EXPECT_NE(from_future[0]->find("event: resync"), std::string::npos);
}

TEST(EventHub, DefaultSequenceStartsFromTheClockSoIdsGrowAcrossRestarts) {
  metrics::Registry registry;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto before =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  EventHub hub(HubOptions{}, registry);
  EXPECT_GE(hub.last_seq() + 1, before);
}

TEST(EventHub, LeastRecentlyActiveCustomersLoseTheirBufferFirst) {
  metrics::Registry registry;
  EventHub hub(small(/*per_customer=*/4, /*customers=*/2), registry);
  hub.publish(order_event("alice", "1"));
  hub.publish(order_event("bob", "2"));
  hub.publish(order_event("alice", "3"));
  hub.publish(order_event("carol", "4"));  // bob is the least recently active
  EXPECT_EQ(hub.buffered("alice"), 2u);
  EXPECT_EQ(hub.buffered("bob"), 0u);
  EXPECT_EQ(hub.buffered("carol"), 1u);
  // bob resuming from before his evicted event cannot be replayed: resync.
  const auto frames = hub.attach("bob", 1)->take().frames;
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0]->find("event: resync"), std::string::npos);
}

TEST(EventHub, CloseAllEndsEveryClientAndEveryLaterAttach) {
  metrics::Registry registry;
  EventHub hub(small(), registry);
  bool woken = false;
  auto client = hub.attach("alice", std::nullopt, [&] { woken = true; });
  hub.close_all();
  EXPECT_TRUE(woken);
  EXPECT_EQ(client->take().end, SseClient::End::kShutdown);
  EXPECT_EQ(hub.attach("bob", std::nullopt)->take().end, SseClient::End::kShutdown);
  EXPECT_EQ(hub.clients(), 0u);
}

TEST(EventHub, DetachStopsDeliveryAndCountsClients) {
  metrics::Registry registry;
  EventHub hub(small(), registry);
  auto client = hub.attach("alice", std::nullopt);
  EXPECT_EQ(hub.clients(), 1u);
  hub.detach(client);
  hub.detach(client);
  EXPECT_EQ(hub.clients(), 0u);
  hub.publish(order_event("alice", "1"));
  EXPECT_TRUE(client->take().frames.empty());
  EXPECT_NE(registry.render().find("gateway_sse_clients 0"), std::string::npos);
}

}  // namespace
}  // namespace velocity::gateway
