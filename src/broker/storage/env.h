// The filesystem as the partition log sees it. Every file access of the log goes through an
// Env, so tests can swap in FakeEnv (fake_env.h) to drop unsynced data or inject failures.
// Env and File implementations are thread-safe; a File stays usable while any shared_ptr to
// it lives, even after the path was removed (POSIX unlink semantics).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace velocity::storage {

class File {
 public:
  virtual ~File() = default;
  // Writes all of `data` at `offset` (the file grows as needed).
  [[nodiscard]] virtual Result<void> write_at(uint64_t offset, std::span<const std::byte> data) = 0;
  // Fills `out` from `offset`; returns fewer bytes only at end of file.
  [[nodiscard]] virtual Result<size_t> read_at(uint64_t offset, std::span<std::byte> out) const = 0;
  // fdatasync: everything written so far survives a power loss once this returns.
  [[nodiscard]] virtual Result<void> sync() = 0;
  // Asks the kernel to start writing the file's dirty pages back without waiting for them
  // (sync_file_range WRITE), so that a later sync() has less to do. Durability is unchanged:
  // only sync() makes anything durable. A no-op where not supported.
  virtual void start_writeback() {}
  // Writes [offset, offset + length) back to the disk and waits until it is there
  // (sync_file_range). Not durability: no device cache flush, no file size. It takes this
  // descriptor's share of any write-back error of the file, so call it on a descriptor of its
  // own, never on the one whose sync() acknowledges writes. A no-op where not supported.
  virtual void write_back(uint64_t /*offset*/, uint64_t /*length*/) {}
  // Sets the size; disk blocks reserved past the new size are released.
  [[nodiscard]] virtual Result<void> truncate(uint64_t size) = 0;
  // Reserves disk blocks for [offset, offset + length) without changing size() or content
  // (fallocate with KEEP_SIZE), so later writes there allocate nothing. Reserved blocks past
  // size() are never readable: reads still end at size(). kUnsupported where the filesystem
  // cannot reserve; callers treat reservation as an optimisation and carry on without it.
  [[nodiscard]] virtual Result<void> reserve(uint64_t offset, uint64_t length) = 0;
  [[nodiscard]] virtual Result<uint64_t> size() const = 0;
  // The OS descriptor for sendfile, or -1 when the file is not an OS file.
  virtual int native_handle() const = 0;
  virtual const std::string& path() const = 0;
};

enum class OpenMode {
  kExisting,        // fail with kNotFound if absent
  kCreateOrOpen,    // keep content
  kCreateTruncate,  // start empty
};

class Env {
 public:
  virtual ~Env() = default;
  [[nodiscard]] virtual Result<std::shared_ptr<File>> open_file(const std::string& path,
                                                                OpenMode mode) = 0;
  // Atomically replaces `to` if it exists.
  [[nodiscard]] virtual Result<void> rename(const std::string& from, const std::string& to) = 0;
  [[nodiscard]] virtual Result<void> remove(const std::string& path) = 0;
  [[nodiscard]] virtual Result<bool> exists(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, unordered.
  [[nodiscard]] virtual Result<std::vector<std::string>> list_dir(const std::string& dir) = 0;
  [[nodiscard]] virtual Result<void> create_dirs(const std::string& dir) = 0;
  // Makes creations, renames and removals inside `dir` durable.
  [[nodiscard]] virtual Result<void> sync_dir(const std::string& dir) = 0;
};

// The process-wide Env over the real filesystem.
Env& posix_env();

// Writes `data` to `path` via `path.tmp` + rename, so readers see the old or the new content,
// never a mix. With `durable`, the file and the directory are synced too.
[[nodiscard]] Result<void> write_file_atomically(Env& env, const std::string& dir,
                                                 const std::string& name,
                                                 std::span<const std::byte> data, bool durable);

[[nodiscard]] Result<std::vector<std::byte>> read_whole_file(Env& env, const std::string& path);
// Writes zeros over [from, to) of `file`, growing it as needed: pre-written space that later
// writes overwrite within the file's size, so their fdatasync has no size change to write.
[[nodiscard]] Result<void> write_zeros(File& file, uint64_t from, uint64_t to);

}  // namespace velocity::storage
