// Producer workloads against a running broker, driven through librdkafka with acks=all:
// one message in flight at a time (ack latency) and pipelined producers (throughput).
// Each call owns its clients and threads and returns when every message is acked or failed.
#pragma once

#include <string>

#include "common/result.h"
#include "figures.h"

namespace velocity::bench {

struct ProduceOptions {
  std::string bootstrap;
  std::string topic;
  int partitions = 8;
  int message_bytes = 1024;
  double seconds = 5;
  int producers = 1;  // pipelined only: clients, each with its own connection and thread
};

// Produces one message, waits for its ack, repeats for `seconds`, cycling over the partitions.
// Figures: msgs_per_s, mb_per_s, p50_us, p99_us, p999_us, max_us, client_cpu_pct.
[[nodiscard]] Result<Figures> run_one_in_flight(const ProduceOptions& options);

// Produces as fast as librdkafka accepts for `seconds` from `producers` clients, then waits
// for the outstanding acks; throughput counts acked messages over the whole time, drain
// included. Figures: msgs_per_s, mb_per_s, failed, client_cpu_pct.
[[nodiscard]] Result<Figures> run_pipelined(const ProduceOptions& options);

}  // namespace velocity::bench
