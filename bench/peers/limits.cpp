#include "limits.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

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
  return figures;
}

}  // namespace velocity::bench::peers
