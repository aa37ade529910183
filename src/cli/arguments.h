// Parsing of option values that CLI11 cannot check by itself: k=v pairs, durations, points in
// time and start offsets. Each throws UsageError naming the option and the bad value.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace velocity::cli {

// "k=v" → {k, v}; the value may be empty and may contain '='; the key may not be empty.
std::pair<std::string, std::string> parse_key_value(std::string_view option, std::string_view text);

// "500ms", "5s", "2m" or a plain number of seconds ("1.5").
std::chrono::milliseconds parse_duration(std::string_view option, std::string_view text);

// RFC 3339 ("2024-05-01T12:00:00Z", fractions and offsets allowed) or milliseconds since the
// Unix epoch; returns milliseconds since the epoch.
std::int64_t parse_time_ms(std::string_view option, std::string_view text);

// A decimal integer, the whole text.
std::int64_t parse_integer(std::string_view option, std::string_view text);

// Where a read starts in every partition.
struct StartPosition {
  enum class Kind { kEarliest, kLatest, kOffset, kTime };
  Kind kind = Kind::kEarliest;
  std::int64_t value = 0;  // kOffset: the offset; kTime: epoch milliseconds
};

// "earliest", "latest" or an offset >= 0.
StartPosition parse_start_offset(std::string_view option, std::string_view text);

}  // namespace velocity::cli
