#include "broker/storage/fake_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace velocity::storage {
namespace {

using State = FakeEnv::State;
using Node = FakeEnv::Node;

class FakeFile final : public File {
 public:
  FakeFile(std::shared_ptr<State> state, std::shared_ptr<Node> node, std::string path)
      : state_(std::move(state)), node_(std::move(node)), path_(std::move(path)) {}

  Result<void> write_at(uint64_t offset, std::span<const std::byte> data) override {
    std::lock_guard lock(state_->mu);
    const bool failing = state_->fail_writes;
    if (failing) data = data.first(data.size() / 2);
    auto& c = node_->content;
    if (c.size() < offset + data.size()) c.resize(offset + data.size());
    if (!data.empty()) std::memcpy(c.data() + offset, data.data(), data.size());
    if (failing) return fail(ErrorCode::kIo, fmt::format("write {}: injected failure", path_));
    return {};
  }

  Result<size_t> read_at(uint64_t offset, std::span<std::byte> out) const override {
    std::lock_guard lock(state_->mu);
    const auto& c = node_->content;
    if (offset >= c.size()) return size_t{0};
    size_t n = std::min<size_t>(out.size(), c.size() - offset);
    std::memcpy(out.data(), c.data() + offset, n);
    return n;
  }

  Result<void> sync() override {
    std::function<void()> before;
    {
      std::lock_guard lock(state_->mu);
      before = state_->before_sync;
    }
    if (before) before();  // outside the lock, so a test can hold syncs in flight
    std::lock_guard lock(state_->mu);
    if (state_->fail_syncs)
      return fail(ErrorCode::kIo, fmt::format("fdatasync {}: injected failure", path_));
    node_->synced = node_->content;
    ++state_->file_syncs;
    return {};
  }

  Result<void> truncate(uint64_t size) override {
    std::lock_guard lock(state_->mu);
    node_->content.resize(size);
    node_->reserved_end = std::min<uint64_t>(node_->reserved_end, size);
    return {};
  }

  Result<void> reserve(uint64_t offset, uint64_t length) override {
    std::lock_guard lock(state_->mu);
    node_->reserved_end = std::max(node_->reserved_end, offset + length);
    return {};
  }

  Result<uint64_t> size() const override {
    std::lock_guard lock(state_->mu);
    return static_cast<uint64_t>(node_->content.size());
  }

  int native_handle() const override { return -1; }
  const std::string& path() const override { return path_; }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<Node> node_;
  std::string path_;
};

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

Result<std::shared_ptr<File>> FakeEnv::open_file(const std::string& path, OpenMode mode) {
  std::lock_guard lock(state_->mu);
  auto it = state_->files.find(path);
  if (it == state_->files.end()) {
    if (mode == OpenMode::kExisting)
      return fail(ErrorCode::kNotFound, fmt::format("open {}", path));
    if (!state_->dirs.contains(parent_of(path))) {
      return fail(ErrorCode::kNotFound, fmt::format("open {}: no such directory", path));
    }
    it = state_->files.emplace(path, std::make_shared<Node>()).first;
  } else if (mode == OpenMode::kCreateTruncate) {
    it->second->content.clear();
    it->second->reserved_end = 0;
  }
  return std::make_shared<FakeFile>(state_, it->second, path);
}

Result<void> FakeEnv::rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(state_->mu);
  auto it = state_->files.find(from);
  if (it == state_->files.end()) return fail(ErrorCode::kNotFound, fmt::format("rename {}", from));
  auto node = it->second;
  state_->files.erase(it);
  state_->files[to] = std::move(node);
  return {};
}

Result<void> FakeEnv::remove(const std::string& path) {
  std::lock_guard lock(state_->mu);
  if (state_->files.erase(path) == 0)
    return fail(ErrorCode::kNotFound, fmt::format("remove {}", path));
  return {};
}

Result<bool> FakeEnv::exists(const std::string& path) {
  std::lock_guard lock(state_->mu);
  return state_->files.contains(path) || state_->dirs.contains(path);
}

Result<std::vector<std::string>> FakeEnv::list_dir(const std::string& dir) {
  std::lock_guard lock(state_->mu);
  if (!state_->dirs.contains(dir)) return fail(ErrorCode::kNotFound, fmt::format("list {}", dir));
  std::vector<std::string> names;
  for (const auto& [path, node] : state_->files) {
    if (parent_of(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  for (const auto& d : state_->dirs) {
    if (parent_of(d) == dir && d != dir) names.push_back(d.substr(dir.size() + 1));
  }
  return names;
}

Result<void> FakeEnv::create_dirs(const std::string& dir) {
  std::lock_guard lock(state_->mu);
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') state_->dirs.insert(dir.substr(0, pos));
  }
  state_->dirs.insert(std::string());
  return {};
}

Result<void> FakeEnv::sync_dir(const std::string& dir) {
  std::lock_guard lock(state_->mu);
  if (state_->fail_syncs)
    return fail(ErrorCode::kIo, fmt::format("fsync {}: injected failure", dir));
  return {};
}

void FakeEnv::drop_unsynced() {
  std::lock_guard lock(state_->mu);
  for (auto& [path, node] : state_->files) node->content = node->synced;
}

FakeEnv FakeEnv::crash_image() const {
  FakeEnv image;
  std::lock_guard lock(state_->mu);
  image.state_->dirs = state_->dirs;
  for (const auto& [path, node] : state_->files) {
    auto copy = std::make_shared<Node>();
    copy->content = node->synced;
    copy->synced = node->synced;
    image.state_->files.emplace(path, std::move(copy));
  }
  return image;
}

void FakeEnv::fail_writes(bool on) {
  std::lock_guard lock(state_->mu);
  state_->fail_writes = on;
}

void FakeEnv::before_sync(std::function<void()> hook) {
  std::lock_guard lock(state_->mu);
  state_->before_sync = std::move(hook);
}

void FakeEnv::fail_syncs(bool on) {
  std::lock_guard lock(state_->mu);
  state_->fail_syncs = on;
}

int FakeEnv::file_syncs() const {
  std::lock_guard lock(state_->mu);
  return state_->file_syncs;
}

std::vector<std::byte> FakeEnv::content(const std::string& path) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->files.find(path);
  return it == state_->files.end() ? std::vector<std::byte>{} : it->second->content;
}

void FakeEnv::set_content(const std::string& path, std::vector<std::byte> bytes) {
  std::lock_guard lock(state_->mu);
  auto& node = state_->files[path];
  if (!node) node = std::make_shared<Node>();
  node->content = bytes;
  node->synced = std::move(bytes);
}

uint64_t FakeEnv::reserved_past_end(const std::string& path) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->files.find(path);
  if (it == state_->files.end()) return 0;
  const uint64_t size = it->second->content.size();
  return it->second->reserved_end > size ? it->second->reserved_end - size : 0;
}

std::vector<std::string> FakeEnv::file_paths() const {
  std::lock_guard lock(state_->mu);
  std::vector<std::string> out;
  for (const auto& [path, node] : state_->files) out.push_back(path);
  return out;
}

}  // namespace velocity::storage
