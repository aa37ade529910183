// The journal's record format (docs/storage.md, "Journal"): encoding one record and scanning a
// journal file's bytes back into records. The scanner takes untrusted bytes (whatever a crash
// left on disk): it checks every length and CRC and stops at the first record that fails.
// Plain functions and value types; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace velocity::storage {

enum class JournalRecordType : uint8_t {
  kBatches = 1,     // whole v2 batches of one log, offsets assigned, starting at `offset`
  kTruncation = 2,  // the log was truncated to `offset`: forget what earlier records hold there
};

struct JournalRecord {
  JournalRecordType type = JournalRecordType::kBatches;
  uint64_t log_id = 0;
  int64_t offset = 0;
  std::vector<std::byte> batches;  // kBatches only
};

// length u32 | crc u32 | type u8 | log id u64 | offset i64 | batches; big-endian. `length`
// counts the bytes after the CRC; the CRC-32C covers them.
inline constexpr size_t kJournalHeaderBytes = 25;
inline constexpr size_t kJournalLengthAndCrcBytes = 8;
// No record is larger: a length above this is damage, not a record (a request is capped well
// below it).
inline constexpr uint32_t kJournalMaxRecordBytes = 256u << 20;

// Appends the encoding of one record to `out`.
void encode_journal_record(std::vector<std::byte>& out, JournalRecordType type, uint64_t log_id,
                           int64_t offset, std::span<const std::byte> batches);

struct JournalScan {
  std::vector<JournalRecord> records;
  uint64_t valid_bytes = 0;  // the prefix of whole, valid records
  uint64_t file_bytes = 0;
  // Why the scan stopped before file_bytes: empty at a clean end or at a zero-filled tail
  // (zero_tail), else the damage found (a torn record, a bad CRC, an unknown type).
  std::string damage;
  bool zero_tail = false;
};

// Reads records from the start of `bytes` until the end, a zero length (the unwritten tail of
// a pre-written file) or the first invalid record.
JournalScan scan_journal(std::span<const std::byte> bytes);

}  // namespace velocity::storage
