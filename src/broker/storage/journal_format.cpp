#include "broker/storage/journal_format.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/big_endian.h"
#include "common/crc32c.h"

namespace velocity::storage {

void encode_journal_record(std::vector<std::byte>& out, JournalRecordType type, uint64_t log_id,
                           int64_t offset, std::span<const std::byte> batches) {
  const size_t start = out.size();
  out.resize(start + kJournalHeaderBytes + batches.size());
  std::byte* p = out.data() + start;
  store_be<uint32_t>(
      p, static_cast<uint32_t>(kJournalHeaderBytes - kJournalLengthAndCrcBytes + batches.size()));
  p[8] = static_cast<std::byte>(type);
  store_be<uint64_t>(p + 9, log_id);
  store_be<int64_t>(p + 17, offset);
  if (!batches.empty()) std::copy(batches.begin(), batches.end(), p + kJournalHeaderBytes);
  const auto covered = std::span<const std::byte>(out).subspan(start + kJournalLengthAndCrcBytes);
  store_be<uint32_t>(p + 4, crc32c(covered));
}

JournalScan scan_journal(std::span<const std::byte> bytes) {
  JournalScan scan;
  scan.file_bytes = bytes.size();
  uint64_t pos = 0;
  while (pos < bytes.size()) {
    const auto rest = bytes.subspan(pos);
    if (rest.size() < kJournalLengthAndCrcBytes) {
      // Fewer bytes than a length and CRC: zeros are the pre-written tail, anything else a torn
      // write.
      if (std::all_of(rest.begin(), rest.end(), [](std::byte b) { return b == std::byte{0}; })) {
        scan.zero_tail = true;
      } else {
        scan.damage = fmt::format("{} bytes too short for a record at {}", rest.size(), pos);
      }
      break;
    }
    const uint32_t length = load_be<uint32_t>(rest.data());
    if (length == 0) {
      scan.zero_tail = true;
      break;
    }
    if (length < kJournalHeaderBytes - kJournalLengthAndCrcBytes ||
        length > kJournalMaxRecordBytes) {
      scan.damage = fmt::format("impossible record length {} at {}", length, pos);
      break;
    }
    if (length > rest.size() - kJournalLengthAndCrcBytes) {
      scan.damage = fmt::format("record of {} bytes at {} runs past the end ({} bytes left)",
                                length, pos, rest.size() - kJournalLengthAndCrcBytes);
      break;
    }
    const auto body = rest.subspan(kJournalLengthAndCrcBytes, length);
    if (crc32c(body) != load_be<uint32_t>(rest.data() + 4)) {
      scan.damage = fmt::format("CRC mismatch in the record at {}", pos);
      break;
    }
    const auto type = static_cast<JournalRecordType>(body[0]);
    if (type != JournalRecordType::kBatches && type != JournalRecordType::kTruncation) {
      scan.damage = fmt::format("unknown record type {} at {}", static_cast<int>(body[0]), pos);
      break;
    }
    if (type == JournalRecordType::kTruncation &&
        length != kJournalHeaderBytes - kJournalLengthAndCrcBytes) {
      scan.damage = fmt::format("truncation record with a payload at {}", pos);
      break;
    }
    JournalRecord record;
    record.type = type;
    record.log_id = load_be<uint64_t>(body.data() + 1);
    record.offset = load_be<int64_t>(body.data() + 9);
    const auto payload = body.subspan(kJournalHeaderBytes - kJournalLengthAndCrcBytes);
    record.batches.assign(payload.begin(), payload.end());
    scan.records.push_back(std::move(record));
    pos += kJournalLengthAndCrcBytes + length;
    scan.valid_bytes = pos;
  }
  return scan;
}

}  // namespace velocity::storage
