#include "broker/storage/env.h"

#include <fmt/format.h>

namespace velocity::storage {

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

}  // namespace velocity::storage
