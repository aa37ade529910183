// A directory under the system temp dir that exists for the lifetime of one object and is
// removed with everything in it when that object is destroyed, unless VELOCITY_TEST_KEEP=1 is
// set (to inspect a failed run). Move-only; not thread-safe.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"

namespace velocity::testing {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>-XXXXXX".
  [[nodiscard]] static Result<TempDir> create(std::string_view prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void remove();

  std::filesystem::path path_;
};

}  // namespace velocity::testing
