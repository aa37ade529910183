// One `velocity up` per data directory: an exclusive flock on <data>/velocity.lock, held for
// the supervisor's life. A second one is refused with the holder's pid instead of corrupting
// the databases and logs under the first.
#pragma once

#include <filesystem>
#include <memory>

#include "common/result.h"

namespace velocity::supervisor {

class DataDirLock {
 public:
  [[nodiscard]] static Result<std::unique_ptr<DataDirLock>> acquire(const std::filesystem::path& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace velocity::supervisor
