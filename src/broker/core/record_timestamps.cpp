#include "broker/core/record_timestamps.h"

#include "common/big_endian.h"

namespace velocity::broker {
namespace {

constexpr size_t kHeaderSize = 61;
constexpr size_t kAttributesPos = 21;
constexpr size_t kBaseTimestampPos = 27;
constexpr size_t kRecordCountPos = 57;

// Zigzag LEB128 (protobuf sint64), at most 10 bytes.
std::optional<int64_t> read_varlong(std::span<const std::byte> bytes, size_t& pos) {
  uint64_t raw = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= bytes.size()) return std::nullopt;
    auto b = static_cast<uint8_t>(bytes[pos++]);
    raw |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  }
  return std::nullopt;
}

}  // namespace

std::optional<TimedOffset> first_record_at_or_after(std::span<const std::byte> batch, int64_t timestamp) {
  if (batch.size() < kHeaderSize) return std::nullopt;
  auto attributes = load_be<int16_t>(batch.data() + kAttributesPos);
  if ((attributes & 0x7) != 0) return std::nullopt;
  auto base_offset = load_be<int64_t>(batch.data());
  auto base_timestamp = load_be<int64_t>(batch.data() + kBaseTimestampPos);
  auto count = load_be<int32_t>(batch.data() + kRecordCountPos);
  size_t pos = kHeaderSize;
  for (int32_t i = 0; i < count; ++i) {
    auto length = read_varlong(batch, pos);
    if (!length || *length < 0 || static_cast<uint64_t>(*length) > batch.size() - pos) return std::nullopt;
    size_t next = pos + static_cast<size_t>(*length);
    ++pos;  // record attributes, unused
    auto timestamp_delta = read_varlong(batch, pos);
    auto offset_delta = read_varlong(batch, pos);
    if (!timestamp_delta || !offset_delta || pos > next) return std::nullopt;
    if (base_timestamp + *timestamp_delta >= timestamp) {
      return TimedOffset{base_offset + *offset_delta, base_timestamp + *timestamp_delta};
    }
    pos = next;
  }
  return std::nullopt;
}

}  // namespace velocity::broker
