// The physical limits the brokers are measured against, on the same file system and in the
// same run: write + fdatasync per batch (buffered, into a fresh file), O_DIRECT write +
// fdatasync per batch, and memcpy. Loopback TCP comes from iperf3 in the run script.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "figures.h"

namespace velocity::bench::peers {

struct LimitOptions {
  std::string dir;               // scratch directory on the file system under test
  std::vector<int> batch_bytes;  // bytes written per sync
  double seconds_per_size = 2;
  // Workload (c)'s shape for the durable-latency limit.
  int rate = 50000;  // messages per second
  int message_bytes = 1024;
};

// Figures per size S: fsync_S_mb_per_s, fsync_S_syncs_per_s, direct_S_mb_per_s,
// direct_S_syncs_per_s; plus memcpy_mb_per_s (1 MiB blocks); plus rate_durable_p50_us, p99,
// p999 and the rest of add_percentiles' figures: messages written at `rate` (a write every 100 µs) into a pre-written
// file while one thread fdatasyncs in a loop (group commit), each message's time from its
// write to the end of the first fdatasync that began after it. What no broker can beat on this
// disk at that rate: it has no network, no client and no work per message.
[[nodiscard]] Result<Figures> run_limits(const LimitOptions& options);

}  // namespace velocity::bench::peers
