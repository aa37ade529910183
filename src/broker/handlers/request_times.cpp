#include "broker/handlers/request_times.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "broker/protocol/api_registry.h"

namespace velocity::broker {

int RequestTimes::bucket_of(int64_t us) {
  if (us < kSubBuckets) return static_cast<int>(std::max<int64_t>(us, 0));
  // Doubling d holds [2^d, 2^(d+1)), split into kSubBuckets equal parts.
  const int doubling = std::bit_width(static_cast<uint64_t>(us)) - 1;
  const int shift = doubling - 3;  // log2(kSubBuckets)
  const int sub = static_cast<int>((us >> shift) - kSubBuckets);
  return std::min(kBuckets - 1, (doubling - 2) * kSubBuckets + sub);
}

int64_t RequestTimes::upper_bound_us(int bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int doubling = bucket / kSubBuckets + 2;
  const int sub = bucket % kSubBuckets;
  return ((int64_t{kSubBuckets} + sub + 1) << (doubling - 3)) - 1;
}

void RequestTimes::record(int16_t api_key, int64_t nanoseconds) {
  if (api_key < 0 || api_key >= kApis) return;
  if (apis_.size() <= static_cast<size_t>(api_key)) apis_.resize(static_cast<size_t>(api_key) + 1);
  auto& h = apis_[static_cast<size_t>(api_key)];
  const int64_t us = std::max<int64_t>(nanoseconds, 0) / 1000;
  ++h.counts[static_cast<size_t>(bucket_of(us))];
  ++h.count;
  h.max_us = std::max(h.max_us, us);
}

int64_t RequestTimes::percentile(const Histogram& h, double q) {
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(h.count)));
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += h.counts[static_cast<size_t>(b)];
    if (seen >= std::max<uint64_t>(rank, 1)) return std::min(upper_bound_us(b), h.max_us);
  }
  return h.max_us;
}

std::vector<RequestTimes::Summary> RequestTimes::summaries() const {
  std::vector<Summary> out;
  for (size_t api = 0; api < apis_.size(); ++api) {
    const auto& h = apis_[api];
    if (h.count == 0) continue;
    out.push_back({static_cast<int16_t>(api), h.count, percentile(h, 0.50), percentile(h, 0.99),
                   percentile(h, 0.999), h.max_us});
  }
  return out;
}

std::vector<std::string> describe(const std::vector<RequestTimes::Summary>& summaries) {
  std::vector<std::string> lines;
  for (const auto& s : summaries) {
    lines.push_back(fmt::format("{} n={} p50={}µs p99={}µs p99.9={}µs max={}µs",
                                protocol::api_name(static_cast<protocol::ApiKey>(s.api_key)),
                                s.count, s.p50_us, s.p99_us, s.p999_us, s.max_us));
  }
  return lines;
}

}  // namespace velocity::broker
