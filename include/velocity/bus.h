// The bus contract every backend implements and every service uses: a Publisher that puts
// messages on topics durably, and a Subscriber that delivers them to a handler within a
// consumer group, committing a message's position only after the handler acknowledged it.
// Backends: Kafka through librdkafka (kafka_bus.h) and an in-memory bus for unit tests
// (memory_bus.h). Both pass one conformance suite (tests in src/toolkit/bus/).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "velocity/message.h"
#include "velocity/result.h"

namespace velocity {

// Thread-safe. Messages published by one publisher with the same key reach subscribers in
// publish order. Retries inside a backend never duplicate a message (idempotent producer).
class Publisher {
 public:
  virtual ~Publisher() = default;

  // Returns once every message is durably accepted by the bus (Kafka: acks=all), or with the
  // first error. Partial success is possible on error: callers retry, and because consumers
  // deduplicate by event id (the inbox), a retried publish has no second effect.
  [[nodiscard]] virtual Result<void> publish(std::span<const Message> messages) = 0;

  // Queues one message; `done` runs (on a backend thread) once it is durable or has failed.
  virtual void publish_async(Message message, std::function<void(Result<void>)> done) = 0;

  // Waits until everything queued with publish_async is done, up to `timeout`.
  [[nodiscard]] virtual Result<void> flush(std::chrono::milliseconds timeout) = 0;

  [[nodiscard]] Result<void> publish(const Message& message) { return publish(std::span(&message, 1)); }
};

// One message handed to a handler. Exactly one of ack() or nack() must be called, once, from
// any thread, possibly later. ack(): the message's effects are durable; its position may be
// committed once every earlier message of its partition is acked too. nack(): it could not be
// handled now; the bus delivers it again (and, Kafka-style, the messages after it in its
// partition) after a short delay.
struct Delivery {
  Message message;
  std::function<void()> ack;
  std::function<void()> nack;
};

enum class StartFrom {
  kEarliest,  // a group without committed positions starts at the oldest message
  kLatest,    // ... or only messages published after subscribe() returned or during it
              // (Kafka: from the first message stamped at or after that moment, however
              // long the group then takes to get its partitions)
};

struct SubscribeOptions {
  std::vector<std::string> topics;
  std::string group;  // members of one group share the work; each group sees everything
  StartFrom start = StartFrom::kEarliest;
  // Deliveries awaiting ack/nack before the subscription stops fetching (backpressure).
  size_t max_in_flight = 1000;
};

// A running subscription. Deliveries arrive on a backend thread, one at a time per
// subscription (the handler may hand them to other threads and ack later).
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Stops fetching, waits up to `grace` for outstanding acks, commits what was acked, leaves
  // the group. Deliveries not acked by then are redelivered to whoever takes the partition.
  virtual void close(std::chrono::milliseconds grace = std::chrono::seconds(10)) = 0;
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  [[nodiscard]] virtual Result<std::unique_ptr<Subscription>> subscribe(
      SubscribeOptions options, std::function<void(Delivery)> handler) = 0;
};

}  // namespace velocity
