// MemoryBus: the bus contract (bus.h) kept in process memory, for unit tests of services.
// Topics have N partitions (chosen by a hash of the key), consumer groups keep committed
// positions and split partitions among their members, ack/nack/max_in_flight behave as bus.h
// states. Thread-safe; subscriptions must be closed (or destroyed) before the bus.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "velocity/bus.h"

namespace velocity {

struct MemoryBusOptions {
  // Partitions of a topic created implicitly by its first publish or subscribe.
  int default_partitions = 4;
  // How long a nacked message waits before it is delivered again.
  std::chrono::milliseconds redelivery_delay{20};
};

class MemoryBus final : public Publisher, public Subscriber {
 public:
  explicit MemoryBus(MemoryBusOptions options = {});
  ~MemoryBus() override;
  MemoryBus(const MemoryBus&) = delete;
  MemoryBus& operator=(const MemoryBus&) = delete;

  using Publisher::publish;
  // Appends at once; fails only while injected failures remain (see fail_next_publishes).
  [[nodiscard]] Result<void> publish(std::span<const Message> messages) override;
  // `done` runs on the caller's thread before publish_async returns.
  void publish_async(Message message, std::function<void(Result<void>)> done) override;
  [[nodiscard]] Result<void> flush(std::chrono::milliseconds timeout) override;

  // Each subscription delivers on its own thread. The group's partitions are re-split among
  // its members whenever one subscribes or closes; acked positions are committed at once.
  [[nodiscard]] Result<std::unique_ptr<Subscription>> subscribe(
      SubscribeOptions options, std::function<void(Delivery)> handler) override;

  // Creates `topic` with `partitions`; kAlreadyExists if it exists with another count.
  [[nodiscard]] Result<void> create_topic(const std::string& topic, int partitions);

  // Test inspection: every message of `topic` in (partition, offset) order.
  std::vector<Message> messages(const std::string& topic) const;
  // The group's committed position (next offset to read) of one partition, -1 if none.
  int64_t committed(const std::string& group, const std::string& topic, int32_t partition) const;
  // The next `count` publish calls (each message of publish_async counts as one) fail with
  // kIo without appending anything: lets service tests exercise their retry paths.
  void fail_next_publishes(int count);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace velocity
