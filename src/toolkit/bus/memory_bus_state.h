// The shared state behind MemoryBus and its subscriptions: topics as vectors of messages,
// groups with committed positions and members, per-member cursors with in-flight tracking.
// Every field is guarded by State::mutex; `changed` is notified on any change a delivery
// thread or a closing subscription may wait for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "velocity/memory_bus.h"

namespace velocity {

namespace memory_bus {

using Clock = std::chrono::steady_clock;
using TopicPartition = std::pair<std::string, int32_t>;

struct InFlight {
  uint64_t delivery_id = 0;  // ack/nack of an older delivery of this offset are ignored
  bool acked = false;
};

// One assigned partition of one member: the next offset to deliver and what awaits ack.
struct Cursor {
  int64_t next = 0;
  std::map<int64_t, InFlight> in_flight;  // delivered, not yet part of the committed prefix
  Clock::time_point retry_at{};           // after a nack: nothing is delivered before this
};

struct Member {
  uint64_t id = 0;
  std::string group;
  std::vector<std::string> topics;
  StartFrom start = StartFrom::kEarliest;
  size_t max_in_flight = 1;
  std::map<TopicPartition, Cursor> assigned;
  size_t next_pick = 0;   // round robin over assigned partitions
  bool stopping = false;  // close() began: deliver nothing more

  size_t unacked() const;
};

struct Group {
  std::map<TopicPartition, int64_t> committed;
  std::vector<std::shared_ptr<Member>> members;  // in join order
};

}  // namespace memory_bus

struct MemoryBus::State {
  explicit State(MemoryBusOptions o) : options(o) {}

  const MemoryBusOptions options;
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, std::vector<std::vector<Message>>> topics;
  std::map<std::string, memory_bus::Group> groups;
  std::map<uint64_t, std::shared_ptr<memory_bus::Member>> members;
  uint64_t next_delivery_id = 1;
  uint64_t next_member_id = 1;
  uint64_t round_robin = 0;
  int failures_to_inject = 0;

  // Requires mutex. Creates the topic with the default partition count if missing.
  std::vector<std::vector<Message>>& topic(const std::string& name);
  // Requires mutex. Re-splits the group's partitions among its members: partition p of a
  // topic goes to the (p mod n)-th of the n members subscribed to it. Kept partitions keep
  // their cursor; new ones start at the committed position (or per StartFrom).
  void rebalance(const std::string& group);
  // Called by a delivery's ack/nack, from any thread.
  void settle(uint64_t member_id, const memory_bus::TopicPartition& tp, int64_t offset,
              uint64_t delivery_id, bool ack);
};

// Runs the delivery loop of one member until it is stopping; defined beside the Subscription.
std::unique_ptr<Subscription> start_memory_subscription(
    std::shared_ptr<MemoryBus::State> state, std::shared_ptr<memory_bus::Member> member,
    std::function<void(Delivery)> handler);

}  // namespace velocity
