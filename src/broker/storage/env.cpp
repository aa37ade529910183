#include "broker/storage/env.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace velocity::storage {
namespace {

// The source of every zero written; static, so pre-writing allocates nothing.
constexpr size_t kZeroChunk = 64 << 10;
const std::array<std::byte, kZeroChunk> kZeros{};

}  // namespace

Result<void> write_file_atomically(Env& env, const std::string& dir, const std::string& name,
                                   std::span<const std::byte> data, bool durable) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  auto file = env.open_file(tmp, OpenMode::kCreateTruncate);
  if (!file) return std::unexpected(file.error());
  if (auto r = (*file)->write_at(0, data); !r) return r;
  if (durable) {
    if (auto r = (*file)->sync(); !r) return r;
  }
  if (auto r = env.rename(tmp, path); !r) return r;
  if (durable) return env.sync_dir(dir);
  return {};
}

Result<std::vector<std::byte>> read_whole_file(Env& env, const std::string& path) {
  auto file = env.open_file(path, OpenMode::kExisting);
  if (!file) return std::unexpected(file.error());
  auto size = (*file)->size();
  if (!size) return std::unexpected(size.error());
  std::vector<std::byte> out(*size);
  auto n = (*file)->read_at(0, out);
  if (!n) return std::unexpected(n.error());
  out.resize(*n);
  return out;
}

Result<void> write_zeros(File& file, uint64_t from, uint64_t to) {
  while (from < to) {
    const auto n = static_cast<size_t>(std::min<uint64_t>(kZeroChunk, to - from));
    if (auto r = file.write_at(from, std::span(kZeros).first(n)); !r) return r;
    from += n;
  }
  return {};
}

}  // namespace velocity::storage
