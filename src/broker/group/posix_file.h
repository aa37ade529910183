// Thin POSIX file helpers for the group folder's small durable files (offsets log, producer-id
// high-water mark): whole-file reads, append-and-sync, atomic replace. Every failure comes back
// as a Result naming the file. Functions are thread-safe; an AppendFile is owned by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace velocity::group {

// The whole content of `path`; kNotFound if it does not exist.
[[nodiscard]] Result<std::string> read_whole_file(const std::filesystem::path& path);

// fsync of a directory, so that a create or rename inside it survives a crash.
[[nodiscard]] Result<void> sync_directory(const std::filesystem::path& dir);

// Writes `data` to a temporary sibling, fdatasyncs it, renames it over `path` and syncs the
// directory: after success the new content is durable, after a crash either old or new is seen.
[[nodiscard]] Result<void> replace_file_atomically(const std::filesystem::path& path,
                                                   std::string_view data);

// An append-only file whose appends return only once the bytes are on disk (write + fdatasync).
class AppendFile {
 public:
  // Opens (creating if needed) `path` for appending; the file is first cut to `keep_bytes`.
  [[nodiscard]] static Result<AppendFile> open(const std::filesystem::path& path,
                                               uint64_t keep_bytes);
  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&& other) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile();

  // write(2) until all bytes are taken, then fdatasync(2).
  [[nodiscard]] Result<void> append_and_sync(std::string_view data);
  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  AppendFile(int fd, std::filesystem::path path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  int fd_ = -1;
  std::filesystem::path path_;
  uint64_t size_ = 0;
};

}  // namespace velocity::group
