// A service's outbox backlog, read read-only from its SQLite database (`velocity outbox`):
// rows committed but not yet on the bus, the age of the oldest, and published rows that wait
// for the relay's clean-up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace velocity::checker {

struct OutboxBacklogRow {
  std::string service;
  std::string database;              // the file read
  std::optional<std::string> error;  // why it could not be read; the counts are then zero
  int64_t pending = 0;
  int64_t oldest_pending_age_ms = 0;  // 0 when nothing is pending
  int64_t max_attempts = 0;           // failed publish attempts of the most-tried pending row
  int64_t published = 0;              // published, not yet cleaned up
};

// Reads <data_dir>/<service>/<service>.db; `now_ms` is the wall clock in ms since the epoch.
OutboxBacklogRow read_outbox_backlog(const std::filesystem::path& data_dir, const std::string& service,
                                     int64_t now_ms);

}  // namespace velocity::checker
