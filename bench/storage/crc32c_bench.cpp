// CRC-32C throughput (`src/common/crc32c.h`), the main CPU cost of appending to the partition
// log, against a single dependent chain of crc32 instructions (the code before three streams)
// measured in the same run. Prints the median MB/s of the repetitions and the ratio for each
// buffer size; on a CPU without SSE4.2 there is nothing to compare and it says so.
// Usage: velocity_crc32c_bench [--reps N] [--mib N]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/crc32c.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace velocity {
namespace {

using Clock = std::chrono::steady_clock;

#if defined(__x86_64__)
// The baseline: one crc32 chain, each instruction waiting for the previous one's result.
__attribute__((target("sse4.2"))) uint32_t single_stream(uint32_t crc, const void* data,
                                                        size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t c = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#endif

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// MB/s (10^6 bytes per second) of checksumming `total` bytes in `size`-byte buffers.
template <typename Fn>
double run(Fn crc, const std::vector<unsigned char>& buf, size_t size, size_t total,
           uint32_t& sink) {
  const size_t count = std::max<size_t>(1, total / size);
  const auto start = Clock::now();
  for (size_t i = 0; i < count; ++i) sink += crc(0, buf.data() + (i % 8), size);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(count * size) / 1e6 / secs;
}

int main_impl(int argc, char** argv) {
  int reps = 7;
  size_t mib = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--reps") {
      reps = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--mib") {
      mib = static_cast<size_t>(std::max(1, std::atoi(argv[i + 1])));
    } else {
      std::fprintf(stderr, "unknown flag %s\nusage: velocity_crc32c_bench [--reps N] [--mib N]\n",
                   flag.c_str());
      return 2;
    }
  }
#if !defined(__x86_64__)
  std::printf("no SSE4.2 baseline on this architecture\n");
  return 0;
#else
  if (!__builtin_cpu_supports("sse4.2")) {
    std::printf("CPU without SSE4.2: crc32c uses its table path, no baseline to compare\n");
    return 0;
  }
  // Sizes: a small record, the log's "16 KiB" and "256 KiB" batches as the storage bench
  // frames them, and 1 MiB.
  const size_t sizes[] = {1024, 16397, 261629, 1 << 20};
  std::mt19937_64 rng(1);
  std::vector<unsigned char> buf((1 << 20) + 8);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  const size_t total = mib << 20;
  uint32_t sink = 0;
  std::printf("%-10s %18s %18s %8s   (median of %d, %zu MiB per run)\n", "bytes",
              "single-stream MB/s", "crc32c MB/s", "ratio", reps, mib);
  for (size_t size : sizes) {
    if (single_stream(0, buf.data(), size) != crc32c_extend(0, buf.data(), size)) {
      std::fprintf(stderr, "checksums differ at %zu bytes\n", size);
      return 1;
    }
    std::vector<double> base;
    std::vector<double> fast;
    for (int r = 0; r < reps; ++r) {  // alternate, so both see the same machine load
      base.push_back(run(single_stream, buf, size, total, sink));
      fast.push_back(run(crc32c_extend, buf, size, total, sink));
    }
    const double b = median(base);
    const double f = median(fast);
    std::printf("%-10zu %18.0f %18.0f %7.2fx\n", size, b, f, f / b);
  }
  std::printf("(checksum sink %08x)\n", sink);
  return 0;
#endif
}

}  // namespace
}  // namespace velocity

int main(int argc, char** argv) { return velocity::main_impl(argc, argv); }
