// Reader: a bounds-checked cursor over untrusted bytes from the network. Every read checks the
// remaining length first and never trusts a length prefix: a negative, oversized or
// unterminated length is an ErrorCode::kCorrupt error, never a crash or a large allocation.
// Strings and byte strings are returned as views into the input; the caller owns the input and
// must keep it alive while views are in use. Not thread-safe; one reader per frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/result.h"

namespace velocity::protocol {

using ByteView = std::span<const std::byte>;

class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  [[nodiscard]] Result<int8_t> read_int8();
  [[nodiscard]] Result<int16_t> read_int16();
  [[nodiscard]] Result<int32_t> read_int32();
  [[nodiscard]] Result<int64_t> read_int64();
  [[nodiscard]] Result<uint16_t> read_uint16();
  [[nodiscard]] Result<uint32_t> read_uint32();
  [[nodiscard]] Result<double> read_float64();
  // Kafka booleans: 0 is false, any other byte is true.
  [[nodiscard]] Result<bool> read_bool();

  // LEB128 as used by flexible versions; at most 5 bytes for 32 bits.
  [[nodiscard]] Result<uint32_t> read_uvarint();
  // Zigzag varints as used inside records.
  [[nodiscard]] Result<int32_t> read_varint();
  [[nodiscard]] Result<int64_t> read_varlong();

  // Exactly n raw bytes.
  [[nodiscard]] Result<ByteView> read_raw(size_t n);

  // Classic (int16/int32 length) and compact (uvarint length + 1) strings and byte strings.
  // The nullable forms return std::nullopt for the null encoding; the others reject it.
  [[nodiscard]] Result<std::string_view> read_string();
  [[nodiscard]] Result<std::optional<std::string_view>> read_nullable_string();
  [[nodiscard]] Result<std::string_view> read_compact_string();
  [[nodiscard]] Result<std::optional<std::string_view>> read_compact_nullable_string();
  [[nodiscard]] Result<std::optional<ByteView>> read_nullable_bytes();
  [[nodiscard]] Result<std::optional<ByteView>> read_compact_nullable_bytes();

  // Array element count: -1 for a null array. The count is checked against the bytes left
  // (every element we decode takes at least one byte), so a hostile count cannot make the
  // caller reserve memory the frame could never fill.
  [[nodiscard]] Result<int32_t> read_array_count();
  [[nodiscard]] Result<int32_t> read_compact_array_count();

  // Skips a tagged-field buffer (count, then tag/size/bytes per field): we model no tagged
  // fields in the versions we speak, and unknown tags must be ignored.
  [[nodiscard]] Result<void> skip_tagged_fields();

 private:
  Result<ByteView> take(size_t n, std::string_view what);
  Result<std::optional<ByteView>> take_sized(int64_t length, std::string_view what);

  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace velocity::protocol
