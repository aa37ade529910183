// KafkaBus: the bus contract (bus.h) over librdkafka, against velocity-broker or any Kafka
// cluster. The publisher is idempotent with acks=all; each subscription is one consumer-group
// member with its own poll thread that commits only the contiguous acked prefix of each
// partition. Thread-safe; subscriptions must be closed (or destroyed) before the bus.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "velocity/bus.h"

namespace velocity {

// $VELOCITY_BROKERS, or "127.0.0.1:9092" when unset or empty.
std::string default_bootstrap_servers();

struct KafkaBusConfig {
  std::string bootstrap_servers = default_bootstrap_servers();
  std::string client_id = "velocity";
  // Extra librdkafka properties for every client this bus creates; they win over ours.
  std::map<std::string, std::string> properties;
  // How often a subscription commits the acked prefix (also on close and on revoke).
  std::chrono::milliseconds commit_interval{200};
  // How long a nacked partition waits before it is read again from the nacked offset.
  std::chrono::milliseconds nack_backoff{100};
  // publish() gives up waiting for delivery reports after this long (kTimeout).
  std::chrono::milliseconds publish_timeout{30000};
};

class KafkaBus final : public Publisher, public Subscriber {
 public:
  // Creates the producer (no network round trip yet: librdkafka connects lazily).
  [[nodiscard]] static Result<std::unique_ptr<KafkaBus>> connect(KafkaBusConfig config);
  // Flushes what publish_async queued (up to publish_timeout), then stops the producer.
  ~KafkaBus() override;
  KafkaBus(const KafkaBus&) = delete;
  KafkaBus& operator=(const KafkaBus&) = delete;

  using Publisher::publish;
  [[nodiscard]] Result<void> publish(std::span<const Message> messages) override;
  void publish_async(Message message, std::function<void(Result<void>)> done) override;
  [[nodiscard]] Result<void> flush(std::chrono::milliseconds timeout) override;

  // Starts one group member (a KafkaConsumer and its poll thread). Topics must exist
  // (ensure_topics). Nacked partitions are paused, then re-read from the nacked offset;
  // while max_in_flight deliveries await ack no message is taken, and after 1 s of that
  // every partition is paused (so a stuck handler still lets a rebalance go through).
  [[nodiscard]] Result<std::unique_ptr<Subscription>> subscribe(
      SubscribeOptions options, std::function<void(Delivery)> handler) override;

  const KafkaBusConfig& config() const { return config_; }

  struct Producer;

 private:
  KafkaBus(KafkaBusConfig config, std::unique_ptr<Producer> producer);
  KafkaBusConfig config_;
  std::unique_ptr<Producer> producer_;
};

// Creates each missing topic with `partitions` partitions through the Admin API
// (CreateTopics); topics that already exist are left as they are. Waits up to `timeout`.
[[nodiscard]] Result<void> ensure_topics(
    const std::string& bootstrap_servers, const std::vector<std::string>& names, int partitions,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Deletes consumer group `group` and its committed offsets (DeleteGroups); a group that does
// not exist is not an error. The group must have no members left. Waits up to `timeout`.
[[nodiscard]] Result<void> delete_group(const std::string& bootstrap_servers, const std::string& group,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace velocity
