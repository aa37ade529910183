// Looks inside one uncompressed v2 record batch for the first record whose timestamp is at or
// after a given time, so ListOffsets by timestamp answers with a record's offset rather than
// its batch's. Pure function over untrusted bytes: every length is checked. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace velocity::broker {

struct TimedOffset {
  int64_t offset = 0;
  int64_t timestamp = 0;
};

// `batch` holds exactly one whole batch. Returns nullopt when no record qualifies, when the
// batch is compressed (its records are not readable without decompression: callers fall back
// to the batch's base offset), or when the bytes do not parse.
std::optional<TimedOffset> first_record_at_or_after(std::span<const std::byte> batch, int64_t timestamp);

}  // namespace velocity::broker
