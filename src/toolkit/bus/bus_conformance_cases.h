// The cases of the bus conformance suite (included by bus_conformance.h only). Every wait is
// bounded; every assertion is about what the handler saw, never about how long it took.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace velocity::bus_conformance {

using namespace std::chrono_literals;

enum class Verdict { kAck, kNack, kHold };

// Records every delivery of one subscription and settles it as `policy` says.
class Collector {
 public:
  explicit Collector(std::function<Verdict(const Message&)> policy = [](const Message&) {
    return Verdict::kAck;
  }) : policy_(std::move(policy)) {}

  std::function<void(Delivery)> handler() {
    return [this](Delivery d) {
      const Verdict v = policy_(d.message);
      {
        std::lock_guard lock(mutex_);
        delivered_.push_back(d.message);
        if (v == Verdict::kAck) acked_.push_back(d.message);
      }
      if (v == Verdict::kAck) d.ack();
      if (v == Verdict::kNack) d.nack();
      changed_.notify_all();
    };
  }

  // Waits (bounded) until `done(delivered)` holds; false on timeout.
  bool wait_for(const std::function<bool(const std::vector<Message>&)>& done,
                std::chrono::milliseconds timeout = 30s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(delivered_); });
  }
  bool wait_for_count(size_t n, std::chrono::milliseconds timeout = 30s) {
    return wait_for([n](const auto& d) { return distinct(d).size() >= n; }, timeout);
  }
  std::vector<Message> delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
  }
  std::vector<Message> acked() const {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  static std::set<std::string> distinct(const std::vector<Message>& messages) {
    std::set<std::string> out;
    for (const auto& m : messages) out.insert(m.payload);
    return out;
  }

 private:
  std::function<Verdict(const Message&)> policy_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Message> delivered_;
  std::vector<Message> acked_;
};

inline Message make(const std::string& topic, std::string key, std::string payload) {
  Message m;
  m.topic = topic;
  m.key = std::move(key);
  m.payload = std::move(payload);
  return m;
}

inline std::vector<Message> numbered(const std::string& topic, int from, int to, int keys) {
  std::vector<Message> out;
  for (int i = from; i < to; ++i) out.push_back(make(topic, "k" + std::to_string(i % keys), "m" + std::to_string(i)));
  return out;
}

inline std::set<std::string> payload_range(int from, int to) {
  std::set<std::string> out;
  for (int i = from; i < to; ++i) out.insert("m" + std::to_string(i));
  return out;
}

inline void BusConformance::SetUp() {
  auto started = GetParam().start();
  ASSERT_TRUE(started) << started.error().message();
  bus_ = std::move(*started);
}

inline void BusConformance::TearDown() { bus_.reset(); }

inline std::string BusConformance::new_topic(int partitions) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '-';
  }
  auto created = bus_->create_topic(name, partitions);
  EXPECT_TRUE(created) << created.error().message();
  return name;
}

inline SubscribeOptions options(const std::string& topic, const std::string& group) {
  SubscribeOptions o;
  o.topics = {topic};
  o.group = group;
  return o;
}

TEST_P(BusConformance, DeliversKeyPayloadAndHeadersIntact) {
  const std::string topic = new_topic(3);
  Message m = make(topic, "order-17", std::string("binary\0payload\xff", 15));
  m.headers = {{"ce_id", "e-1"}, {"ce_type", "shop.order.placed.v1"}, {"dup", "a"}, {"dup", "b"}, {"empty", ""}};
  ASSERT_TRUE(bus_->publisher().publish(m));

  Collector got;
  auto sub = bus_->subscriber().subscribe(options(topic, "g"), got.handler());
  ASSERT_TRUE(sub) << sub.error().message();
  ASSERT_TRUE(got.wait_for_count(1));
  const Message d = got.delivered().front();
  EXPECT_EQ(d.topic, topic);
  EXPECT_EQ(d.key, m.key);
  EXPECT_EQ(d.payload, m.payload);
  EXPECT_EQ(d.headers, m.headers);
  EXPECT_GE(d.partition, 0);
  EXPECT_GE(d.offset, 0);
  (*sub)->close(5s);
}

TEST_P(BusConformance, KeepsPublishOrderPerKey) {
  const std::string topic = new_topic(4);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 200, 7)));
  Collector got;
  auto sub = bus_->subscriber().subscribe(options(topic, "g"), got.handler());
  ASSERT_TRUE(sub) << sub.error().message();
  ASSERT_TRUE(got.wait_for_count(200));
  std::map<std::string, int> last_seq;
  std::map<std::string, int32_t> partition_of;
  for (const auto& m : got.delivered()) {
    const int seq = std::stoi(m.payload.substr(1));
    auto [it, fresh] = last_seq.try_emplace(m.key, seq);
    if (!fresh) {
      EXPECT_GT(seq, it->second) << "key " << m.key;
      it->second = seq;
    }
    auto [p, first] = partition_of.try_emplace(m.key, m.partition);
    EXPECT_EQ(p->second, m.partition) << "key " << m.key << " moved partition";
  }
  (*sub)->close(5s);
}

TEST_P(BusConformance, RedeliversNackedMessageAndItsSuccessors) {
  const std::string topic = new_topic(1);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 10, 1)));
  std::atomic<bool> nacked{false};
  Collector got([&](const Message& m) {
    if (m.payload == "m3" && !nacked.exchange(true)) return Verdict::kNack;
    return Verdict::kAck;
  });
  auto sub = bus_->subscriber().subscribe(options(topic, "g"), got.handler());
  ASSERT_TRUE(sub) << sub.error().message();
  // Done once m3 came again and m9 was delivered after it.
  ASSERT_TRUE(got.wait_for([](const auto& d) {
    int m3 = 0;
    for (const auto& m : d) m3 += m.payload == "m3";
    return m3 >= 2 && d.back().payload == "m9";
  }));
  const auto delivered = got.delivered();
  ASSERT_GE(delivered.size(), 7u);
  // Kafka-style: after the nack the partition is read again from the nacked message on.
  std::vector<std::string> tail;
  for (size_t i = delivered.size() - 7; i < delivered.size(); ++i) tail.push_back(delivered[i].payload);
  EXPECT_EQ(tail, (std::vector<std::string>{"m3", "m4", "m5", "m6", "m7", "m8", "m9"}));
  (*sub)->close(5s);
}

TEST_P(BusConformance, ResumesAfterCloseFromTheAckedPrefixWithoutLoss) {
  const std::string topic = new_topic(1);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 20, 1)));
  std::atomic<int> acks{0};
  Collector first([&](const Message&) { return acks.fetch_add(1) < 10 ? Verdict::kAck : Verdict::kHold; });
  auto o = options(topic, "g");
  o.max_in_flight = 3;
  auto sub = bus_->subscriber().subscribe(o, first.handler());
  ASSERT_TRUE(sub) << sub.error().message();
  ASSERT_TRUE(first.wait_for_count(11));
  (*sub)->close(200ms);  // m10.. stay unacked: they must come again
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 20, 30, 1)));

  Collector second;
  auto again = bus_->subscriber().subscribe(options(topic, "g"), second.handler());
  ASSERT_TRUE(again) << again.error().message();
  ASSERT_TRUE(second.wait_for([](const auto& d) {
    return Collector::distinct(d) == payload_range(10, 30);
  }));
  EXPECT_EQ(second.delivered().front().payload, "m10");
  (*again)->close(5s);
}

// A member whose handler holds max_in_flight deliveries (stuck) must still take part in a
// rebalance: a member joining later gets partitions and their messages.
TEST_P(BusConformance, AMemberHoldingMaxInFlightStillHandsPartitionsToANewMember) {
  const std::string topic = new_topic(4);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 40, 40)));
  Collector stuck([](const Message&) { return Verdict::kHold; });
  auto o = options(topic, "g");
  o.max_in_flight = 2;
  auto sub_stuck = bus_->subscriber().subscribe(o, stuck.handler());
  ASSERT_TRUE(sub_stuck) << sub_stuck.error().message();
  ASSERT_TRUE(stuck.wait_for_count(2));

  Collector joined;
  auto sub_joined = bus_->subscriber().subscribe(options(topic, "g"), joined.handler());
  ASSERT_TRUE(sub_joined) << sub_joined.error().message();
  ASSERT_TRUE(joined.wait_for_count(1));
  for (const auto& m : joined.delivered()) EXPECT_EQ(m.topic, topic);
  (*sub_joined)->close(5s);
  (*sub_stuck)->close(0ms);
}

TEST_P(BusConformance, GroupMembersSplitTheWork) {
  const std::string topic = new_topic(4);
  Collector a;
  Collector b;
  auto sub_a = bus_->subscriber().subscribe(options(topic, "g"), a.handler());
  auto sub_b = bus_->subscriber().subscribe(options(topic, "g"), b.handler());
  ASSERT_TRUE(sub_a && sub_b);
  // Keep publishing until both members got work: joining a group takes a while on Kafka.
  int published = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((a.delivered().empty() || b.delivered().empty()) && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(bus_->publisher().publish(numbered(topic, published, published + 20, 20)));
    published += 20;
    (void)a.wait_for([](const auto& d) { return !d.empty(); }, 200ms);
  }
  EXPECT_FALSE(a.delivered().empty());
  EXPECT_FALSE(b.delivered().empty());
  const auto all = payload_range(0, published);
  auto union_has_all = [&] {
    auto seen = Collector::distinct(a.delivered());
    auto more = Collector::distinct(b.delivered());
    seen.insert(more.begin(), more.end());
    return seen == all;
  };
  // Both collectors take their own lock, so poll the union between bounded waits.
  const auto settle_deadline = std::chrono::steady_clock::now() + 20s;
  while (!union_has_all() && std::chrono::steady_clock::now() < settle_deadline) {
    (void)a.wait_for([](const auto&) { return false; }, 50ms);
  }
  EXPECT_TRUE(union_has_all());
  (*sub_a)->close(5s);
  (*sub_b)->close(5s);
}

TEST_P(BusConformance, TwoGroupsEachSeeEverything) {
  const std::string topic = new_topic(3);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 60, 6)));
  Collector one;
  Collector two;
  auto sub_one = bus_->subscriber().subscribe(options(topic, "one"), one.handler());
  auto sub_two = bus_->subscriber().subscribe(options(topic, "two"), two.handler());
  ASSERT_TRUE(sub_one && sub_two);
  EXPECT_TRUE(one.wait_for([](const auto& d) { return Collector::distinct(d) == payload_range(0, 60); }));
  EXPECT_TRUE(two.wait_for([](const auto& d) { return Collector::distinct(d) == payload_range(0, 60); }));
  (*sub_one)->close(5s);
  (*sub_two)->close(5s);
}

TEST_P(BusConformance, NewGroupReplaysFromEarliest) {
  const std::string topic = new_topic(2);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 30, 3)));
  Collector old_group;
  auto sub = bus_->subscriber().subscribe(options(topic, "old"), old_group.handler());
  ASSERT_TRUE(sub);
  ASSERT_TRUE(old_group.wait_for_count(30));
  (*sub)->close(5s);

  Collector fresh;
  auto replay = bus_->subscriber().subscribe(options(topic, "new"), fresh.handler());
  ASSERT_TRUE(replay);
  EXPECT_TRUE(fresh.wait_for([](const auto& d) { return Collector::distinct(d) == payload_range(0, 30); }));
  (*replay)->close(5s);
}

TEST_P(BusConformanceOffsetsByTime, LatestGroupSeesEverythingPublishedFromSubscribeOnEvenBeforeItHasPartitions) {
  const std::string topic = new_topic(3);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 10, 5)));
  std::this_thread::sleep_for(5ms);  // the old messages' timestamps lie before subscribe()
  Collector got;
  SubscribeOptions o = options(topic, "latest");
  o.start = StartFrom::kLatest;
  auto sub = bus_->subscriber().subscribe(o, got.handler());
  ASSERT_TRUE(sub);
  // At once: a Kafka group is still joining, so no partition has a position yet.
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 10, 40, 5)));
  EXPECT_TRUE(got.wait_for([](const auto& d) { return Collector::distinct(d) == payload_range(10, 40); }))
      << Collector::distinct(got.delivered()).size() << " distinct messages delivered";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(Collector::distinct(got.delivered()), payload_range(10, 40)) << "nothing from before subscribe()";
  (*sub)->close(5s);
}

TEST_P(BusConformanceIdempotentRetries, RetriedPublishesAreNotDuplicated) {
  const std::string topic = new_topic(2);
  constexpr int kCount = 3000;
  std::atomic<int> failed{0};
  for (int i = 0; i < kCount; ++i) {
    bus_->publisher().publish_async(make(topic, "k" + std::to_string(i % 10), "m" + std::to_string(i)),
                                    [&](Result<void> r) { failed += r ? 0 : 1; });
    if (i == kCount / 3) {
      auto broken = bus_->break_connections();
      ASSERT_TRUE(broken) << broken.error().message();
    }
  }
  ASSERT_TRUE(bus_->publisher().flush(60s));
  EXPECT_EQ(failed.load(), 0);

  Collector got;
  auto sub = bus_->subscriber().subscribe(options(topic, "check"), got.handler());
  ASSERT_TRUE(sub);
  ASSERT_TRUE(got.wait_for_count(kCount));
  // Each message sits at exactly one position of the log: a retry that the broker had
  // already written would appear at a second offset.
  std::map<std::string, std::set<std::pair<int32_t, int64_t>>> positions;
  for (const auto& m : got.delivered()) positions[m.payload].insert({m.partition, m.offset});
  EXPECT_EQ(positions.size(), static_cast<size_t>(kCount));
  for (const auto& [payload, at] : positions) EXPECT_EQ(at.size(), 1u) << payload << " written twice";
  (*sub)->close(5s);
}

TEST_P(BusConformanceBrokerRestart, SubscriptionAndPublisherReconnectAcrossBrokerRestart) {
  const std::string topic = new_topic(2);
  Collector got;
  auto sub = bus_->subscriber().subscribe(options(topic, "g"), got.handler());
  ASSERT_TRUE(sub);
  ASSERT_TRUE(bus_->publisher().publish(numbered(topic, 0, 10, 2)));
  ASSERT_TRUE(got.wait_for_count(10));
  auto restarted = bus_->restart_broker();
  ASSERT_TRUE(restarted) << restarted.error().message();
  auto published = bus_->publisher().publish(numbered(topic, 10, 20, 2));
  ASSERT_TRUE(published) << published.error().message();
  EXPECT_TRUE(got.wait_for([](const auto& d) { return Collector::distinct(d) == payload_range(0, 20); }));
  (*sub)->close(5s);
}

}  // namespace velocity::bus_conformance
