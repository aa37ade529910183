#include "broker/storage/index_file.h"

#include <fmt/format.h>

#include "common/big_endian.h"
#include "common/crc32c.h"

namespace velocity::storage {

std::vector<std::byte> encode_offset_index(const OffsetIndexFile& index) {
  std::vector<std::byte> out(kOffsetIndexHeaderSize + index.entries.size() * kOffsetIndexEntrySize);
  std::byte* e = out.data() + kOffsetIndexHeaderSize;
  for (const auto& entry : index.entries) {
    store_be<uint32_t>(e, entry.relative_offset);
    store_be<uint32_t>(e + 4, entry.position);
    e += kOffsetIndexEntrySize;
  }
  std::byte* h = out.data();
  store_be<uint32_t>(h, kOffsetIndexMagic);
  store_be<uint32_t>(h + 4, kIndexVersion);
  store_be<uint64_t>(h + 8, index.log_bytes);
  store_be<int64_t>(h + 16, index.next_offset);
  store_be<int64_t>(h + 24, index.max_timestamp);
  store_be<uint32_t>(h + 32, static_cast<uint32_t>(index.entries.size()));
  store_be<uint32_t>(h + 36,
                     crc32c(std::span<const std::byte>(out).subspan(kOffsetIndexHeaderSize)));
  return out;
}

std::vector<std::byte> encode_time_index(const TimeIndexFile& index) {
  std::vector<std::byte> out(kTimeIndexHeaderSize + index.entries.size() * kTimeIndexEntrySize);
  std::byte* e = out.data() + kTimeIndexHeaderSize;
  for (const auto& entry : index.entries) {
    store_be<int64_t>(e, entry.timestamp);
    store_be<uint32_t>(e + 8, entry.relative_offset);
    e += kTimeIndexEntrySize;
  }
  std::byte* h = out.data();
  store_be<uint32_t>(h, kTimeIndexMagic);
  store_be<uint32_t>(h + 4, kIndexVersion);
  store_be<uint64_t>(h + 8, index.log_bytes);
  store_be<uint32_t>(h + 16, static_cast<uint32_t>(index.entries.size()));
  store_be<uint32_t>(h + 20, crc32c(std::span<const std::byte>(out).subspan(kTimeIndexHeaderSize)));
  return out;
}

namespace {

// Shared header checks: magic, version, entry count that matches the size, entries CRC.
Result<uint32_t> check_header(std::span<const std::byte> bytes, uint32_t magic, size_t header_size,
                              size_t entry_size, size_t count_pos, size_t crc_pos) {
  if (bytes.size() < header_size)
    return fail(ErrorCode::kCorrupt, "index file shorter than its header");
  if (load_be<uint32_t>(bytes.data()) != magic)
    return fail(ErrorCode::kCorrupt, "index file magic");
  if (load_be<uint32_t>(bytes.data() + 4) != kIndexVersion) {
    return fail(ErrorCode::kCorrupt, "index file version");
  }
  auto count = load_be<uint32_t>(bytes.data() + count_pos);
  if (bytes.size() != header_size + static_cast<uint64_t>(count) * entry_size) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("index file of {} bytes for {} entries", bytes.size(), count));
  }
  if (crc32c(bytes.subspan(header_size)) != load_be<uint32_t>(bytes.data() + crc_pos)) {
    return fail(ErrorCode::kCorrupt, "index file CRC mismatch");
  }
  return count;
}

}  // namespace

Result<OffsetIndexFile> decode_offset_index(std::span<const std::byte> bytes) {
  auto count =
      check_header(bytes, kOffsetIndexMagic, kOffsetIndexHeaderSize, kOffsetIndexEntrySize, 32, 36);
  if (!count) return std::unexpected(count.error());
  OffsetIndexFile index;
  index.log_bytes = load_be<uint64_t>(bytes.data() + 8);
  index.next_offset = load_be<int64_t>(bytes.data() + 16);
  index.max_timestamp = load_be<int64_t>(bytes.data() + 24);
  index.entries.reserve(*count);
  const std::byte* e = bytes.data() + kOffsetIndexHeaderSize;
  for (uint32_t i = 0; i < *count; ++i, e += kOffsetIndexEntrySize) {
    IndexEntry entry{load_be<uint32_t>(e), load_be<uint32_t>(e + 4)};
    if (entry.position >= index.log_bytes ||
        (!index.entries.empty() && (entry.relative_offset <= index.entries.back().relative_offset ||
                                    entry.position <= index.entries.back().position))) {
      return fail(ErrorCode::kCorrupt, fmt::format("offset index entry {} out of order", i));
    }
    index.entries.push_back(entry);
  }
  return index;
}

Result<TimeIndexFile> decode_time_index(std::span<const std::byte> bytes) {
  auto count =
      check_header(bytes, kTimeIndexMagic, kTimeIndexHeaderSize, kTimeIndexEntrySize, 16, 20);
  if (!count) return std::unexpected(count.error());
  TimeIndexFile index;
  index.log_bytes = load_be<uint64_t>(bytes.data() + 8);
  index.entries.reserve(*count);
  const std::byte* e = bytes.data() + kTimeIndexHeaderSize;
  for (uint32_t i = 0; i < *count; ++i, e += kTimeIndexEntrySize) {
    TimeIndexEntry entry{load_be<int64_t>(e), load_be<uint32_t>(e + 8)};
    if (!index.entries.empty() && (entry.timestamp <= index.entries.back().timestamp ||
                                   entry.relative_offset <= index.entries.back().relative_offset)) {
      return fail(ErrorCode::kCorrupt, fmt::format("time index entry {} out of order", i));
    }
    index.entries.push_back(entry);
  }
  return index;
}

}  // namespace velocity::storage
