#include "figures.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace velocity::bench {

std::string format_figures(const Figures& figures) {
  std::string line;
  for (const auto& [name, value] : figures) {
    if (!line.empty()) line += ' ';
    line += fmt::format("{}={:.3f}", name, value);
  }
  line += '\n';
  return line;
}

double quantile(std::vector<double>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  // Nearest rank: the smallest sample with at least q of all samples at or below it.
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto to_seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return to_seconds(usage.ru_utime) + to_seconds(usage.ru_stime);
}

}  // namespace velocity::bench
