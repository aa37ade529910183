// What the drivers share: an incompressible payload whose first 8 bytes carry the scheduled
// send time, a fixed-rate schedule, and percentile figures from latency samples. Values only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "figures.h"

namespace velocity::bench::peers {

// Nanoseconds on the monotonic clock, which every thread of the process shares.
int64_t now_ns();

// Pseudo-random bytes (compression gains nothing), `bytes` long, at least 8.
std::vector<char> make_payload(int bytes);

// Writes / reads the send stamp carried in the first 8 bytes of a payload.
void stamp_payload(std::vector<char>& payload, int64_t stamp_ns);
int64_t payload_stamp(const void* data, size_t length);

// Message i of a fixed-rate run is due at start + i / rate; due_by(t) is how many are due.
class Schedule {
 public:
  Schedule(int64_t start_ns, double rate) : start_ns_(start_ns), rate_(rate) {}
  int64_t due_by(int64_t t_ns) const;
  int64_t send_time(int64_t index) const;

 private:
  int64_t start_ns_;
  double rate_;
};

// A fixed-rate run stops sending once more than this many messages await their ack (half a
// second's worth, at least 1000): the broker cannot keep the rate, and waiting for it would
// only measure the queue. Such a run reports saturated=1 and the rate it did ack.
int64_t saturation_backlog(double rate);

// Sleeps until `t_ns` on the monotonic clock (returns at once if it has passed).
void sleep_until_ns(int64_t t_ns);

// Appends <prefix>p50_us, p90, p99, p999, p9999 and max (microseconds) and <prefix>samples.
void add_percentiles(Figures& figures, const std::string& prefix, std::vector<double>& samples_us);

// The figures of a pipelined run of `messages` acked in `seconds` using `cpu_seconds`.
Figures throughput_figures(int64_t messages, int message_bytes, double seconds, double cpu_seconds);

}  // namespace velocity::bench::peers
