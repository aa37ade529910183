// The storefront's files: maps a request target to a file under the web root, with its
// content type and caching headers. `index.html` answers `/` and any unknown path without a
// file extension (the storefront routes on the client). A target can never name a file
// outside the root: `..` and `.` segments, hidden files, NUL bytes and backslashes are refused
// before the file system is asked, and symbolic links leading out of the root are refused
// after. Thread-safe (read-only after construction); opens no file itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "velocity/result.h"

namespace velocity::gateway {

struct StaticFile {
  std::filesystem::path path;  // absolute, inside the root
  std::string content_type;
  std::string cache_control;
  std::string etag;           // quoted, from size and modification time
  std::string last_modified;  // IMF-fixdate
  uint64_t size = 0;
};

// The Content-Type for a file extension (".js"); application/octet-stream when unknown.
std::string_view content_type_for(std::string_view extension);

class StaticFiles {
 public:
  // `root` need not exist yet (every lookup is then a miss).
  explicit StaticFiles(std::filesystem::path root);

  // The file for `target`, or kNotFound (also for every refused target: a probe learns
  // nothing about what exists outside the root).
  [[nodiscard]] Result<StaticFile> resolve(std::string_view target) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  [[nodiscard]] Result<StaticFile> describe(const std::filesystem::path& path,
                                            bool is_fallback) const;
  std::filesystem::path root_;
};

// Whether an If-None-Match header value matches `etag` ("*", one tag, or a list; W/ ignored).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace velocity::gateway
