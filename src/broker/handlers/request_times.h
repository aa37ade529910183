// RequestTimes: how long the broker held each request, from the moment its frame was handed
// over until its answer was ready (decoding, the handler, waiting for fdatasync or for a
// long-polling fetch, encoding), per API. The broker logs the figures when it stops, and on
// SIGUSR1 (then starts afresh), so a benchmark can put the broker's share of a client's
// latency beside the client's own figures.
// Log-bucketed: 8 buckets per doubling of microseconds, so a percentile is the upper bound of
// its bucket, at most 9 % above the true value. Event-loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace velocity::broker {

class RequestTimes {
 public:
  struct Summary {
    int16_t api_key = 0;
    uint64_t count = 0;
    int64_t p50_us = 0;
    int64_t p99_us = 0;
    int64_t p999_us = 0;
    int64_t max_us = 0;
  };

  void record(int16_t api_key, int64_t nanoseconds);
  // Forgets everything recorded so far.
  void clear() { apis_.clear(); }
  // One entry per API that saw a request, by API key.
  std::vector<Summary> summaries() const;

 private:
  static constexpr int kSubBuckets = 8;
  static constexpr int kBuckets = 40 * kSubBuckets;  // up to 2^40 µs
  static constexpr int kApis = 128;
  struct Histogram {
    std::array<uint64_t, kBuckets> counts{};
    uint64_t count = 0;
    int64_t max_us = 0;
  };
  static int bucket_of(int64_t us);
  static int64_t upper_bound_us(int bucket);
  static int64_t percentile(const Histogram& h, double q);

  std::vector<Histogram> apis_;  // by API key, grown on first use
};

// "Produce n=… p50=…µs p99=…µs p99.9=…µs max=…µs", one line per API.
std::vector<std::string> describe(const std::vector<RequestTimes::Summary>& summaries);

}  // namespace velocity::broker
