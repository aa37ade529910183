// The record format of the committed-offsets log (docs/groups.md, "Offsets log format"): each
// frame is u32 payload length, u32 CRC-32C of the payload, payload. Encoding and the recovery
// scan are pure functions over bytes; the scan never trusts a length it has not checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace velocity::group {

inline constexpr uint8_t kOffsetLogFormatVersion = 1;
inline constexpr uint32_t kOffsetLogMaxPayload = 1u << 20;
inline constexpr size_t kOffsetLogFrameHeader = 8;

enum class OffsetRecordType : uint8_t {
  kOffsetCommit = 1,
  kOffsetTombstone = 2,
  kGroupMetadata = 3,
  kGroupTombstone = 4,  // removes the group's metadata and every offset it committed
};

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  int64_t commit_timestamp_ms = 0;
  bool operator==(const CommittedOffset&) const = default;
};

// What survives a restart of a group besides its offsets: generations keep increasing.
struct GroupMetadata {
  int32_t generation = 0;
  std::string protocol_type;
  bool operator==(const GroupMetadata&) const = default;
};

struct OffsetRecord {
  OffsetRecordType type = OffsetRecordType::kOffsetCommit;
  std::string group;
  std::string topic;       // offset records only
  int32_t partition = 0;   // offset records only
  CommittedOffset offset;  // kOffsetCommit only
  GroupMetadata metadata;  // kGroupMetadata only
};

// Appends one frame holding `record` to `out`. Strings longer than 32767 bytes are a caller bug.
void encode_offset_record(const OffsetRecord& record, std::string& out);

struct OffsetLogScan {
  std::vector<OffsetRecord> records;  // every record before the first bad frame, in order
  uint64_t valid_bytes = 0;           // where the good prefix ends; the file is cut here
  uint64_t dropped_bytes = 0;         // torn tail after valid_bytes
};

// Reads frames from the start of `data`. A frame that is incomplete, has an impossible length,
// or fails its CRC as the very last frame is a torn tail: it and everything after it are
// reported as dropped. A CRC failure with more data behind it is damage before the tail and
// returns kCorrupt, as does a checksummed payload we cannot decode.
[[nodiscard]] Result<OffsetLogScan> scan_offset_log(std::string_view data);

}  // namespace velocity::group
