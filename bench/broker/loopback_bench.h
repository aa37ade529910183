// The loopback TCP ceiling of this machine, measured with plain sockets: one sender thread
// writes fixed-size chunks to one receiver thread over 127.0.0.1 for a while, each thread
// pinned to its own core when there are two. Also hands out a free port for a server.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "figures.h"

namespace velocity::bench {

struct LoopbackOptions {
  int chunk_bytes = 64 * 1024;  // bytes per write(2)
  double seconds = 2;
};

// Figures: mb_per_s, writes_per_s (bytes counted by the receiver).
[[nodiscard]] Result<Figures> run_loopback(const LoopbackOptions& options);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
[[nodiscard]] Result<uint16_t> free_port();

}  // namespace velocity::bench
