#include "workload.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>

namespace velocity::bench::peers {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::vector<char> make_payload(int bytes) {
  std::vector<char> payload(static_cast<size_t>(bytes < 8 ? 8 : bytes));
  uint32_t state = 2463534242u;
  for (auto& byte : payload) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    byte = static_cast<char>(state);
  }
  return payload;
}

void stamp_payload(std::vector<char>& payload, int64_t stamp_ns) {
  std::memcpy(payload.data(), &stamp_ns, sizeof stamp_ns);
}

int64_t payload_stamp(const void* data, size_t length) {
  int64_t stamp = 0;
  if (length >= sizeof stamp) std::memcpy(&stamp, data, sizeof stamp);
  return stamp;
}

int64_t Schedule::due_by(int64_t t_ns) const {
  if (t_ns < start_ns_) return 0;
  return static_cast<int64_t>(std::floor(static_cast<double>(t_ns - start_ns_) * rate_ / 1e9)) + 1;
}

int64_t Schedule::send_time(int64_t index) const {
  return start_ns_ + static_cast<int64_t>(static_cast<double>(index) * 1e9 / rate_);
}

int64_t saturation_backlog(double rate) {
  return std::max<int64_t>(1000, static_cast<int64_t>(rate * 0.5));
}

void sleep_until_ns(int64_t t_ns) {
  if (t_ns <= now_ns()) return;
  timespec ts{.tv_sec = t_ns / 1'000'000'000, .tv_nsec = t_ns % 1'000'000'000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

void add_percentiles(Figures& figures, const std::string& prefix, std::vector<double>& samples_us) {
  figures.emplace_back(prefix + "samples", static_cast<double>(samples_us.size()));
  figures.emplace_back(prefix + "p50_us", quantile(samples_us, 0.50));
  figures.emplace_back(prefix + "p90_us", quantile(samples_us, 0.90));
  figures.emplace_back(prefix + "p99_us", quantile(samples_us, 0.99));
  figures.emplace_back(prefix + "p999_us", quantile(samples_us, 0.999));
  figures.emplace_back(prefix + "p9999_us", quantile(samples_us, 0.9999));
  figures.emplace_back(prefix + "max_us", quantile(samples_us, 1.0));
}

Figures throughput_figures(int64_t messages, int message_bytes, double seconds,
                           double cpu_seconds) {
  const auto count = static_cast<double>(messages);
  return {
      {"msgs_per_s", count / seconds},
      {"mb_per_s", count * message_bytes / seconds / 1e6},
      {"messages", count},
      {"client_cpu_pct", 100 * cpu_seconds / seconds},
  };
}

}  // namespace velocity::bench::peers
