// The on-disk form of a segment's sparse offset index (.index) and time index (.timeindex):
// a header that says which log content the entries describe, a CRC-32C of the entries, then
// fixed-size big-endian entries. Decoding trusts nothing; a file that fails any check is
// rebuilt from the log. Pure functions; thread-safe. Format: docs/storage.md.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"

namespace velocity::storage {

struct IndexEntry {
  uint32_t relative_offset;  // batch base offset - segment base offset
  uint32_t position;         // byte position of the batch in the .log file
};

struct TimeIndexEntry {
  int64_t timestamp;         // largest batch max timestamp up to and including this batch
  uint32_t relative_offset;  // of this batch
};

struct OffsetIndexFile {
  uint64_t log_bytes = 0;   // size of the .log these entries describe
  int64_t next_offset = 0;  // offset after the last batch of that .log
  int64_t max_timestamp = -1;
  std::vector<IndexEntry> entries;
};

struct TimeIndexFile {
  uint64_t log_bytes = 0;
  std::vector<TimeIndexEntry> entries;
};

inline constexpr uint32_t kOffsetIndexMagic = 0x564C4958;  // "VLIX"
inline constexpr uint32_t kTimeIndexMagic = 0x564C5458;    // "VLTX"
inline constexpr uint32_t kIndexVersion = 1;
inline constexpr size_t kOffsetIndexHeaderSize = 40;
inline constexpr size_t kTimeIndexHeaderSize = 24;
inline constexpr size_t kOffsetIndexEntrySize = 8;
inline constexpr size_t kTimeIndexEntrySize = 12;

std::vector<std::byte> encode_offset_index(const OffsetIndexFile& index);
std::vector<std::byte> encode_time_index(const TimeIndexFile& index);

// kCorrupt unless magic, version, entry count, CRC and ordering (offsets and positions
// strictly increasing, positions below log_bytes) all hold.
[[nodiscard]] Result<OffsetIndexFile> decode_offset_index(std::span<const std::byte> bytes);
[[nodiscard]] Result<TimeIndexFile> decode_time_index(std::span<const std::byte> bytes);

}  // namespace velocity::storage
