// Reading messages of one topic for `consume` and `dlq show`: from a start position (earliest,
// latest, an offset or a time) on every partition or one, either on its own (assign, nothing
// committed) or as a member of a consumer group (subscribe, positions committed on exit).
// Stops after a count, after a quiet spell, at the end of every partition, or on SIGINT or
// SIGTERM. Main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "velocity/result.h"

namespace velocity::cli {

class KafkaAdmin;

struct Record {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;  // -1 when the message has none
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;

  // The first header of this name that has a value.
  std::optional<std::string_view> header(std::string_view name) const;
};

// {"topic","partition","offset","timestamp","key","value","headers":{name: value}}; absent key,
// value or header value are null; of repeated header names the first is kept.
nlohmann::json record_json(const Record& record);

struct ReadOptions {
  std::string topic;
  std::optional<std::int32_t> partition;  // only this one (not with a group)
  // Where to start; without it, a group resumes from its committed positions and anything
  // else starts at the earliest offset.
  std::optional<StartPosition> start;
  std::optional<std::string> group;
  std::optional<std::uint64_t> count;
  // Stop when no message arrived for this long (counted from the partition assignment).
  std::optional<std::chrono::milliseconds> idle_timeout;
  bool stop_at_end = false;  // stop once every partition was read to its end (not with a group)
};

// Calls `sink` for each message in partition order; returns how many it read. Fails when the
// topic or partition does not exist or the consumer reports a non-transient error.
[[nodiscard]] Result<std::uint64_t> read_records(KafkaAdmin& admin, const Globals& globals,
                                                 const ReadOptions& options,
                                                 const std::function<void(const Record&)>& sink);

}  // namespace velocity::cli
