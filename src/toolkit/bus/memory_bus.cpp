// MemoryBus: publishing, topics and inspection. Subscriptions live in memory_subscription.cpp.
#include "velocity/memory_bus.h"

#include <algorithm>
#include <chrono>

#include "toolkit/bus/bus_metrics.h"
#include "toolkit/bus/memory_bus_state.h"

namespace velocity {

using memory_bus::Clock;

namespace {

// FNV-1a: stable across runs and platforms, so a key always lands on the same partition.
uint32_t key_hash(const std::string& key) {
  uint32_t h = 2166136261u;
  for (unsigned char c : key) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

size_t memory_bus::Member::unacked() const {
  size_t n = 0;
  for (const auto& [tp, cursor] : assigned) {
    for (const auto& [offset, f] : cursor.in_flight) n += f.acked ? 0 : 1;
  }
  return n;
}

std::vector<std::vector<Message>>& MemoryBus::State::topic(const std::string& name) {
  auto it = topics.find(name);
  if (it == topics.end()) {
    it = topics.emplace(name, std::vector<std::vector<Message>>(
                                  static_cast<size_t>(std::max(1, options.default_partitions))))
             .first;
  }
  return it->second;
}

MemoryBus::MemoryBus(MemoryBusOptions options) : state_(std::make_shared<State>(options)) {}

MemoryBus::~MemoryBus() = default;

Result<void> MemoryBus::publish(std::span<const Message> messages) {
  std::lock_guard lock(state_->mutex);
  for (const auto& m : messages) {
    if (m.topic.empty()) return fail(ErrorCode::kInvalidArgument, "publish: message without topic");
  }
  if (state_->failures_to_inject > 0) {
    --state_->failures_to_inject;
    return fail(ErrorCode::kIo, "publish: injected failure (MemoryBus::fail_next_publishes)");
  }
  for (const auto& m : messages) {
    auto& partitions = state_->topic(m.topic);
    const uint64_t h = m.key.empty() ? state_->round_robin++ : key_hash(m.key);
    const auto p = static_cast<int32_t>(h % partitions.size());
    auto& log = partitions[static_cast<size_t>(p)];
    Message stored = m;
    stored.partition = p;
    stored.offset = static_cast<int64_t>(log.size());
    stored.timestamp_ms = now_ms();
    log.push_back(std::move(stored));
  }
  for (const auto& m : messages) bus::count_produced(m.topic);
  state_->changed.notify_all();
  return {};
}

void MemoryBus::publish_async(Message message, std::function<void(Result<void>)> done) {
  auto result = publish(message);
  if (done) done(std::move(result));
}

Result<void> MemoryBus::flush(std::chrono::milliseconds) { return {}; }

Result<void> MemoryBus::create_topic(const std::string& topic, int partitions) {
  if (topic.empty() || partitions < 1) {
    return fail(ErrorCode::kInvalidArgument, "create_topic: empty name or partitions < 1");
  }
  std::lock_guard lock(state_->mutex);
  auto it = state_->topics.find(topic);
  if (it != state_->topics.end()) {
    if (it->second.size() == static_cast<size_t>(partitions)) return {};
    return fail(ErrorCode::kAlreadyExists, "create_topic " + topic + ": exists with " +
                                               std::to_string(it->second.size()) + " partitions");
  }
  state_->topics.emplace(topic, std::vector<std::vector<Message>>(static_cast<size_t>(partitions)));
  return {};
}

std::vector<Message> MemoryBus::messages(const std::string& topic) const {
  std::lock_guard lock(state_->mutex);
  std::vector<Message> out;
  auto it = state_->topics.find(topic);
  if (it == state_->topics.end()) return out;
  for (const auto& log : it->second) out.insert(out.end(), log.begin(), log.end());
  return out;
}

int64_t MemoryBus::committed(const std::string& group, const std::string& topic,
                             int32_t partition) const {
  std::lock_guard lock(state_->mutex);
  auto g = state_->groups.find(group);
  if (g == state_->groups.end()) return -1;
  auto c = g->second.committed.find({topic, partition});
  return c == g->second.committed.end() ? -1 : c->second;
}

void MemoryBus::fail_next_publishes(int count) {
  std::lock_guard lock(state_->mutex);
  state_->failures_to_inject = std::max(0, count);
}

Result<std::unique_ptr<Subscription>> MemoryBus::subscribe(SubscribeOptions options,
                                                           std::function<void(Delivery)> handler) {
  if (options.topics.empty() || options.group.empty() || !handler) {
    return fail(ErrorCode::kInvalidArgument, "subscribe: needs topics, a group and a handler");
  }
  auto member = std::make_shared<memory_bus::Member>();
  member->group = options.group;
  member->topics = options.topics;
  member->start = options.start;
  member->max_in_flight = std::max<size_t>(1, options.max_in_flight);
  {
    std::lock_guard lock(state_->mutex);
    member->id = state_->next_member_id++;
    for (const auto& t : options.topics) state_->topic(t);
    state_->members[member->id] = member;
    state_->groups[options.group].members.push_back(member);
    state_->rebalance(options.group);
  }
  state_->changed.notify_all();
  return start_memory_subscription(state_, std::move(member), std::move(handler));
}

}  // namespace velocity
