// Named results of one benchmark run ("msgs_per_s", "p99_us", ...), printed as one line of
// key=value pairs that bench/broker/run_broker_bench.sh collects; plus the sample statistics
// and CPU accounting the runs share. Values only; no shared state.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace velocity::bench {

using Clock = std::chrono::steady_clock;
using Figures = std::vector<std::pair<std::string, double>>;

// "key=value key=value\n" with values in plain decimal, never scientific notation.
std::string format_figures(const Figures& figures);

// The q-quantile (0..1) of `samples` by nearest rank; sorts in place. 0 when empty.
double quantile(std::vector<double>& samples, double q);

// Seconds between two points of the steady clock.
double seconds_between(Clock::time_point from, Clock::time_point to);

// User + system CPU seconds this process has used so far (all threads).
double process_cpu_seconds();

}  // namespace velocity::bench
