#include "limits.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "workload.h"

namespace velocity::bench::peers {
namespace {

struct FreeDeleter {
  void operator()(char* memory) const { std::free(memory); }
};

// Appends `batch` bytes and fdatasyncs, again and again, into a new file for `seconds`.
Result<std::pair<double, double>> write_and_sync(const std::string& path, int batch, bool direct,
                                                 double seconds) {
  char* raw = nullptr;
  if (posix_memalign(reinterpret_cast<void**>(&raw), 4096, static_cast<size_t>(batch)) != 0)
    return fail(ErrorCode::kInternal, "posix_memalign");
  std::unique_ptr<char, FreeDeleter> buffer(raw);
  auto payload = make_payload(batch);
  std::memcpy(buffer.get(), payload.data(), payload.size());
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | (direct ? O_DIRECT : 0), 0644);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("open {}: {}", path, std::strerror(errno)));
  const int64_t start = now_ns();
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
  int64_t syncs = 0;
  std::string error;
  while (now_ns() < deadline && syncs * batch < (int64_t{4} << 30)) {
    if (::write(fd, buffer.get(), static_cast<size_t>(batch)) != batch || ::fdatasync(fd) != 0) {
      error = std::strerror(errno);
      break;
    }
    ++syncs;
  }
  const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
  ::close(fd);
  ::unlink(path.c_str());
  if (!error.empty()) return fail(ErrorCode::kIo, fmt::format("write {}: {}", path, error));
  return std::pair{static_cast<double>(syncs) * batch / elapsed / 1e6,
                   static_cast<double>(syncs) / elapsed};
}

// See limits.h: rate_durable_*. Returns the write-to-durable latencies in µs.
Result<std::vector<double>> durable_latency_at_rate(const std::string& path, int rate,
                                                    int message_bytes, double seconds) {
  constexpr int64_t kTickNs = 100'000;
  const auto per_tick = std::max<int64_t>(1, int64_t{rate} * message_bytes * kTickNs / 1'000'000'000);
  const auto ticks = static_cast<int64_t>(seconds * 1e9) / kTickNs;
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
  if (fd < 0) return fail(ErrorCode::kIo, fmt::format("open {}: {}", path, std::strerror(errno)));
  // Pre-written and synced, as velocity-broker's active segment is: the syncs below write data
  // only.
  std::vector<char> chunk(1 << 20, 0);
  bool ok = true;
  for (int64_t at = 0; ok && at < ticks * per_tick + static_cast<int64_t>(chunk.size());
       at += static_cast<int64_t>(chunk.size())) {
    ok = ::pwrite(fd, chunk.data(), chunk.size(), at) == static_cast<ssize_t>(chunk.size());
  }
  if (!ok || ::fdatasync(fd) != 0) {
    ::close(fd);
    return fail(ErrorCode::kIo, fmt::format("pre-write {}: {}", path, std::strerror(errno)));
  }
  auto payload = make_payload(static_cast<int>(per_tick));
  std::vector<int64_t> written_at(static_cast<size_t>(ticks), 0);
  std::vector<int64_t> durable_at(static_cast<size_t>(ticks), 0);
  std::atomic<int64_t> written{0};
  std::atomic<bool> stop{false};
  std::atomic<int> sync_errno{0};
  std::thread syncer([&] {
    int64_t durable = 0;
    while (durable < ticks && !stop.load()) {
      const int64_t upto = written.load(std::memory_order_acquire);
      if (upto == durable) {
        std::this_thread::sleep_for(std::chrono::microseconds(20));
        continue;
      }
      if (::fdatasync(fd) != 0) {
        sync_errno = errno;
        return;
      }
      const int64_t t = now_ns();
      for (; durable < upto; ++durable) durable_at[static_cast<size_t>(durable)] = t;
    }
  });
  const int64_t start = now_ns();
  std::string error;
  for (int64_t i = 0; i < ticks && sync_errno.load() == 0; ++i) {
    sleep_until_ns(start + i * kTickNs);
    if (::pwrite(fd, payload.data(), payload.size(), i * per_tick) != per_tick) {
      error = std::strerror(errno);
      break;
    }
    written_at[static_cast<size_t>(i)] = now_ns();
    written.store(i + 1, std::memory_order_release);
  }
  if (!error.empty()) stop = true;
  syncer.join();
  ::close(fd);
  ::unlink(path.c_str());
  if (sync_errno.load() != 0) error = std::strerror(sync_errno.load());
  if (!error.empty()) return fail(ErrorCode::kIo, fmt::format("write {}: {}", path, error));
  std::vector<double> latencies;
  // The first fifth is a warm-up.
  for (int64_t i = ticks / 5; i < ticks; ++i) {
    const auto n = static_cast<size_t>(i);
    latencies.push_back(static_cast<double>(durable_at[n] - written_at[n]) / 1e3);
  }
  return latencies;
}

double memcpy_mb_per_s(double seconds) {
  constexpr size_t kBlock = 1 << 20;
  std::vector<char> from = make_payload(kBlock);
  std::vector<char> to(kBlock, 1);
  const int64_t start = now_ns();
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
  int64_t copies = 0;
  unsigned checksum = 0;
  while (now_ns() < deadline) {
    for (int i = 0; i < 16; ++i, ++copies) {
      from[static_cast<size_t>(copies) % kBlock] ^= 1;  // each copy differs, so none is elided
      std::memcpy(to.data(), from.data(), kBlock);
      checksum += static_cast<unsigned char>(to[static_cast<size_t>(copies * 4099) % kBlock]);
    }
  }
  const double elapsed = static_cast<double>(now_ns() - start) / 1e9;
  if (checksum == 0xFFFFFFFFu) std::fputs("", stderr);  // keeps the reads observable
  return static_cast<double>(copies) * kBlock / elapsed / 1e6;
}

}  // namespace

Result<Figures> run_limits(const LimitOptions& options) {
  Figures figures;
  for (int batch : options.batch_bytes) {
    for (bool direct : {false, true}) {
      const std::string path =
          fmt::format("{}/limit-{}-{}", options.dir, batch, direct ? "direct" : "buffered");
      ::sync();
      auto measured = write_and_sync(path, batch, direct, options.seconds_per_size);
      if (!measured) return std::unexpected(measured.error());
      const char* kind = direct ? "direct" : "fsync";
      figures.emplace_back(fmt::format("{}_{}_mb_per_s", kind, batch), measured->first);
      figures.emplace_back(fmt::format("{}_{}_syncs_per_s", kind, batch), measured->second);
    }
  }
  figures.emplace_back("memcpy_mb_per_s", memcpy_mb_per_s(1.0));
  ::sync();
  auto latencies = durable_latency_at_rate(options.dir + "/limit-rate", options.rate,
                                           options.message_bytes,
                                           std::max(3.0, options.seconds_per_size));
  if (!latencies) return std::unexpected(latencies.error());
  add_percentiles(figures, "rate_durable_", *latencies);
  return figures;
}

}  // namespace velocity::bench::peers
