// One benchmark driver per broker (velocity-broker through librdkafka, Redis Streams through
// hiredis, NATS JetStream through nats.c), all behind the same five workloads so the run script
// can put them side by side. A client owns its connections; use it from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "figures.h"

namespace velocity::bench::peers {

// Where the broker is and what to write: one topic (Kafka), or `partitions` streams named
// `<name>-<i>` (Redis keys, JetStream streams on subject `<name>.<i>`).
struct Target {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string name = "bench";
  int partitions = 1;
  int message_bytes = 1024;
};

struct RunOptions {
  double seconds = 5;         // duration of a timed run (pipelined: the longest)
  int64_t max_messages = 0;   // pipelined: stop sending after this many (0 = no limit)
  int window = 1024;          // pipelined: messages awaiting their ack at most (Redis, NATS)
  double rate = 50000;        // fixed-rate run: messages per second
  double warmup_seconds = 1;  // fixed-rate run: leading time whose samples are dropped
  // Fixed-rate run (Kafka): the producing thread wakes at most once per this many µs and sends
  // every message due by then (0 = it sleeps until each message's own send time). Latencies
  // still count from each message's scheduled time, so a late send is charged to the result.
  int send_tick_us = 0;
  // Fixed-rate run (Kafka): the producer's linger.ms, how long a partition's batch waits for
  // more messages before it is sent (1, as OpenMessaging-Benchmark's Kafka driver sets it).
  int linger_ms = 1;
};

class PeerClient {
 public:
  virtual ~PeerClient() = default;

  // Makes the topic or streams exist and, where the broker allows, empty.
  [[nodiscard]] virtual Result<void> reset() = 0;

  // (a) As fast as the broker acks: msgs_per_s, mb_per_s, messages, client_cpu_pct.
  [[nodiscard]] virtual Result<Figures> produce_pipelined(const RunOptions& options) = 0;

  // (b) One message in flight, partitions in turn: ack latency percentiles (p50_us, ...).
  [[nodiscard]] virtual Result<Figures> produce_one_by_one(const RunOptions& options) = 0;

  // (c) Fixed send schedule with a consumer reading along: ack_* and e2e_* percentiles, each
  // measured from the message's scheduled send time (no coordinated omission).
  [[nodiscard]] virtual Result<Figures> produce_at_rate(const RunOptions& options) = 0;

  // (d) Reads everything stored from the first message: msgs_per_s, mb_per_s.
  [[nodiscard]] virtual Result<Figures> consume_backlog(const RunOptions& options) = 0;
};

std::unique_ptr<PeerClient> make_kafka_client(const Target& target);
std::unique_ptr<PeerClient> make_redis_client(const Target& target);
std::unique_ptr<PeerClient> make_nats_client(const Target& target);

}  // namespace velocity::bench::peers
