#include "broker/storage/record_batch.h"

#include <fmt/format.h>

#include "common/big_endian.h"
#include "common/crc32c.h"

namespace velocity::storage {

Result<BatchHeader> parse_batch_header(std::span<const std::byte> bytes) {
  if (bytes.size() <= kBatchMagicPos) {
    return fail(ErrorCode::kCorrupt, fmt::format("record batch truncated: {} bytes", bytes.size()));
  }
  const std::byte* p = bytes.data();
  BatchHeader h;
  h.magic = static_cast<int8_t>(p[kBatchMagicPos]);
  // Old message formats are legal Kafka we chose not to serve; tell them apart from garbage so
  // the broker can answer UNSUPPORTED_FOR_MESSAGE_FORMAT instead of CORRUPT_MESSAGE.
  if (h.magic == 0 || h.magic == 1) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("record batch magic {} (message format v0/v1)", h.magic));
  }
  if (h.magic != kMagicV2) {
    return fail(ErrorCode::kCorrupt, fmt::format("record batch magic {} is not 2", h.magic));
  }
  if (bytes.size() < kBatchHeaderSize) {
    return fail(ErrorCode::kCorrupt, fmt::format("record batch header truncated: {} of {} bytes",
                                                 bytes.size(), kBatchHeaderSize));
  }
  h.base_offset = load_be<int64_t>(p + 0);
  h.batch_length = load_be<int32_t>(p + 8);
  h.partition_leader_epoch = load_be<int32_t>(p + 12);
  h.crc = load_be<uint32_t>(p + 17);
  h.attributes = load_be<int16_t>(p + 21);
  h.last_offset_delta = load_be<int32_t>(p + 23);
  h.base_timestamp = load_be<int64_t>(p + 27);
  h.max_timestamp = load_be<int64_t>(p + 35);
  h.producer_id = load_be<int64_t>(p + 43);
  h.producer_epoch = load_be<int16_t>(p + 51);
  h.base_sequence = load_be<int32_t>(p + 53);
  h.record_count = load_be<int32_t>(p + 57);
  if (h.batch_length < static_cast<int32_t>(kBatchHeaderSize - kBatchLogOverhead)) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("record batch length {} is shorter than a header", h.batch_length));
  }
  return h;
}

uint32_t compute_batch_crc(std::span<const std::byte> batch) {
  return crc32c(batch.subspan(kBatchAttributesPos));
}

Result<BatchHeader> validate_batch(std::span<const std::byte> bytes) {
  auto h = parse_batch_header(bytes);
  if (!h) return h;
  if (h->total_size() > bytes.size()) {
    return fail(ErrorCode::kCorrupt, fmt::format("record batch of {} bytes but only {} available",
                                                 h->total_size(), bytes.size()));
  }
  if (h->last_offset_delta < 0 || h->record_count < 0) {
    return fail(ErrorCode::kCorrupt, fmt::format("record batch lastOffsetDelta {} recordCount {}",
                                                 h->last_offset_delta, h->record_count));
  }
  uint32_t actual = compute_batch_crc(bytes.first(h->total_size()));
  if (actual != h->crc) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("record batch CRC mismatch: stored {:#010x}, computed {:#010x}", h->crc,
                            actual));
  }
  return h;
}

void set_base_offset(std::span<std::byte> batch, int64_t base_offset) {
  store_be<int64_t>(batch.data() + kBatchBaseOffsetPos, base_offset);
}

Result<std::optional<BatchView>> BatchWalker::next() {
  if (position_ == bytes_.size()) return std::optional<BatchView>{};
  auto rest = bytes_.subspan(position_);
  auto h = validate_batch(rest);
  if (!h) {
    return fail(h.error().code, fmt::format("{} (batch at byte {})", h.error().context, position_));
  }
  BatchView view{*h, rest.first(h->total_size()), position_};
  position_ += h->total_size();
  return view;
}

}  // namespace velocity::storage
