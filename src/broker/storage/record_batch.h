// Kafka record batch v2 (magic 2) headers read from untrusted bytes: parsing, full validation
// (lengths, magic, CRC-32C), walking a buffer of concatenated batches and rewriting the base
// offset. Pure functions over caller-owned memory; thread-safe. Layout: docs/storage.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/result.h"

namespace velocity::storage {

// Byte positions inside a batch (big-endian fields).
inline constexpr size_t kBatchBaseOffsetPos = 0;
inline constexpr size_t kBatchLengthPos = 8;
inline constexpr size_t kBatchMagicPos = 16;
inline constexpr size_t kBatchCrcPos = 17;
inline constexpr size_t kBatchAttributesPos = 21;  // the CRC covers [21, end of batch)
inline constexpr size_t kBatchHeaderSize = 61;
// baseOffset + batchLength precede the bytes that batchLength counts.
inline constexpr size_t kBatchLogOverhead = 12;
inline constexpr int8_t kMagicV2 = 2;

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  // Bytes the whole batch occupies, header included.
  uint64_t total_size() const { return static_cast<uint64_t>(batch_length) + kBatchLogOverhead; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  int compression() const { return attributes & 0x7; }
  bool is_transactional() const { return (attributes & 0x10) != 0; }
  bool is_control() const { return (attributes & 0x20) != 0; }
};

// Reads the 61-byte header at the start of `bytes`. Checks only what the header alone can
// prove: enough bytes for a header, magic (0/1 → kUnsupported, anything else → kCorrupt) and a
// batchLength of at least a header. It does not require the body to be present and does not
// check the CRC; use validate_batch for that.
[[nodiscard]] Result<BatchHeader> parse_batch_header(std::span<const std::byte> bytes);

// Parses and fully checks the batch at the start of `bytes` (which may continue with more
// batches): the whole batch is present, lastOffsetDelta and recordCount are not negative, and
// the CRC-32C over attributes..end matches.
[[nodiscard]] Result<BatchHeader> validate_batch(std::span<const std::byte> bytes);

// CRC-32C over [attributes, end) of a complete batch.
uint32_t compute_batch_crc(std::span<const std::byte> batch);

// Overwrites the base offset of the batch at the start of `batch` (needs ≥ 8 bytes). The CRC
// does not cover it, so the batch stays valid.
void set_base_offset(std::span<std::byte> batch, int64_t base_offset);

// One validated batch inside a larger buffer.
struct BatchView {
  BatchHeader header;
  std::span<const std::byte> bytes;  // exactly header.total_size() bytes
  size_t position = 0;               // where it starts in the walked buffer
};

// Walks a buffer of concatenated batches (e.g. a Produce request's records), validating each.
// A trailing partial batch is an error, never silently ignored.
class BatchWalker {
 public:
  explicit BatchWalker(std::span<const std::byte> bytes) : bytes_(bytes) {}

  // The next batch, std::nullopt once the buffer is consumed, or the first error (kCorrupt,
  // kUnsupported) with the byte position in its context.
  [[nodiscard]] Result<std::optional<BatchView>> next();

  size_t position() const { return position_; }

 private:
  std::span<const std::byte> bytes_;
  size_t position_ = 0;
};

}  // namespace velocity::storage
