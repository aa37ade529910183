// Reads a topic's backlog from the first offset with one librdkafka consumer (manual
// assignment, no group, no commits) and measures how fast it arrives. Owns its client.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "figures.h"

namespace velocity::bench {

struct ConsumeOptions {
  std::string bootstrap;
  std::string topic;
  int partitions = 8;
  int64_t max_messages = 0;  // read at most this many (0 = the whole backlog)
};

// Figures: msgs_per_s, mb_per_s, messages, client_cpu_pct. Fails if the backlog is empty or
// if nothing arrives for 30 s.
[[nodiscard]] Result<Figures> run_consume_backlog(const ConsumeOptions& options);

}  // namespace velocity::bench
