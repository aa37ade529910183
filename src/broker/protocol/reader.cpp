#include "broker/protocol/reader.h"

#include <bit>
#include <cstring>
#include <string>

#include "common/big_endian.h"

namespace velocity::protocol {
namespace {

std::string_view as_chars(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

Result<ByteView> Reader::take(size_t n, std::string_view what) {
  if (n > remaining()) {
    return fail(ErrorCode::kCorrupt, "truncated " + std::string(what) + ": need " + std::to_string(n) +
                                         " bytes at offset " + std::to_string(pos_) + ", " +
                                         std::to_string(remaining()) + " left");
  }
  ByteView out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<std::optional<ByteView>> Reader::take_sized(int64_t length, std::string_view what) {
  if (length == -1) return std::optional<ByteView>{};
  if (length < 0) {
    return fail(ErrorCode::kCorrupt, "negative " + std::string(what) + " length " + std::to_string(length) +
                                         " at offset " + std::to_string(pos_));
  }
  auto bytes = take(static_cast<size_t>(length), what);
  if (!bytes) return std::unexpected(bytes.error());
  return std::optional<ByteView>{*bytes};
}

Result<int8_t> Reader::read_int8() {
  auto b = take(1, "int8");
  if (!b) return std::unexpected(b.error());
  return static_cast<int8_t>((*b)[0]);
}

Result<int16_t> Reader::read_int16() {
  auto b = take(2, "int16");
  if (!b) return std::unexpected(b.error());
  return load_be<int16_t>(b->data());
}

Result<int32_t> Reader::read_int32() {
  auto b = take(4, "int32");
  if (!b) return std::unexpected(b.error());
  return load_be<int32_t>(b->data());
}

Result<int64_t> Reader::read_int64() {
  auto b = take(8, "int64");
  if (!b) return std::unexpected(b.error());
  return load_be<int64_t>(b->data());
}

Result<uint16_t> Reader::read_uint16() {
  auto b = take(2, "uint16");
  if (!b) return std::unexpected(b.error());
  return load_be<uint16_t>(b->data());
}

Result<uint32_t> Reader::read_uint32() {
  auto b = take(4, "uint32");
  if (!b) return std::unexpected(b.error());
  return load_be<uint32_t>(b->data());
}

Result<double> Reader::read_float64() {
  auto b = take(8, "float64");
  if (!b) return std::unexpected(b.error());
  return std::bit_cast<double>(load_be<uint64_t>(b->data()));
}

Result<bool> Reader::read_bool() {
  auto b = take(1, "bool");
  if (!b) return std::unexpected(b.error());
  return (*b)[0] != std::byte{0};
}

Result<uint32_t> Reader::read_uvarint() {
  uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    auto b = take(1, "unsigned varint");
    if (!b) return std::unexpected(b.error());
    auto byte = static_cast<uint32_t>((*b)[0]);
    // The fifth byte may only carry the top 4 bits of a 32-bit value.
    if (shift == 28 && (byte & 0xF0u) != 0) break;
    value |= (byte & 0x7Fu) << shift;
    if ((byte & 0x80u) == 0) return value;
  }
  return fail(ErrorCode::kCorrupt, "unsigned varint longer than 32 bits ending at offset " + std::to_string(pos_));
}

Result<int64_t> Reader::read_varlong() {
  uint64_t raw = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    auto b = take(1, "varlong");
    if (!b) return std::unexpected(b.error());
    auto byte = static_cast<uint64_t>((*b)[0]);
    if (shift == 63 && (byte & 0xFEu) != 0) break;
    raw |= (byte & 0x7Fu) << shift;
    if ((byte & 0x80u) == 0) return static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
  }
  return fail(ErrorCode::kCorrupt, "varlong longer than 64 bits ending at offset " + std::to_string(pos_));
}

Result<int32_t> Reader::read_varint() {
  auto start = pos_;
  auto v = read_varlong();
  if (!v) return std::unexpected(v.error());
  if (*v < INT32_MIN || *v > INT32_MAX) {
    return fail(ErrorCode::kCorrupt, "varint out of 32-bit range at offset " + std::to_string(start));
  }
  return static_cast<int32_t>(*v);
}

Result<ByteView> Reader::read_raw(size_t n) { return take(n, "bytes"); }

Result<std::string_view> Reader::read_string() {
  auto s = read_nullable_string();
  if (!s) return std::unexpected(s.error());
  if (!*s) return fail(ErrorCode::kCorrupt, "null string where none is allowed at offset " + std::to_string(pos_));
  return **s;
}

Result<std::optional<std::string_view>> Reader::read_nullable_string() {
  auto len = read_int16();
  if (!len) return std::unexpected(len.error());
  auto bytes = take_sized(*len, "string");
  if (!bytes) return std::unexpected(bytes.error());
  if (!*bytes) return std::optional<std::string_view>{};
  return std::optional<std::string_view>{as_chars(**bytes)};
}

Result<std::string_view> Reader::read_compact_string() {
  auto s = read_compact_nullable_string();
  if (!s) return std::unexpected(s.error());
  if (!*s) return fail(ErrorCode::kCorrupt, "null string where none is allowed at offset " + std::to_string(pos_));
  return **s;
}

Result<std::optional<std::string_view>> Reader::read_compact_nullable_string() {
  auto len = read_uvarint();
  if (!len) return std::unexpected(len.error());
  auto bytes = take_sized(static_cast<int64_t>(*len) - 1, "compact string");
  if (!bytes) return std::unexpected(bytes.error());
  if (!*bytes) return std::optional<std::string_view>{};
  return std::optional<std::string_view>{as_chars(**bytes)};
}

Result<std::optional<ByteView>> Reader::read_nullable_bytes() {
  auto len = read_int32();
  if (!len) return std::unexpected(len.error());
  return take_sized(*len, "bytes");
}

Result<std::optional<ByteView>> Reader::read_compact_nullable_bytes() {
  auto len = read_uvarint();
  if (!len) return std::unexpected(len.error());
  return take_sized(static_cast<int64_t>(*len) - 1, "compact bytes");
}

Result<int32_t> Reader::read_array_count() {
  auto n = read_int32();
  if (!n) return std::unexpected(n.error());
  if (*n < -1 || (*n > 0 && static_cast<size_t>(*n) > remaining())) {
    return fail(ErrorCode::kCorrupt, "array count " + std::to_string(*n) + " impossible with " +
                                         std::to_string(remaining()) + " bytes left");
  }
  return *n;
}

Result<int32_t> Reader::read_compact_array_count() {
  auto n = read_uvarint();
  if (!n) return std::unexpected(n.error());
  int64_t count = static_cast<int64_t>(*n) - 1;
  if (count > 0 && static_cast<uint64_t>(count) > remaining()) {
    return fail(ErrorCode::kCorrupt, "compact array count " + std::to_string(count) + " impossible with " +
                                         std::to_string(remaining()) + " bytes left");
  }
  return static_cast<int32_t>(count);
}

Result<void> Reader::skip_tagged_fields() {
  auto count = read_uvarint();
  if (!count) return std::unexpected(count.error());
  for (uint32_t i = 0; i < *count; ++i) {
    auto tag = read_uvarint();
    if (!tag) return std::unexpected(tag.error());
    auto size = read_uvarint();
    if (!size) return std::unexpected(size.error());
    auto skipped = take(*size, "tagged field");
    if (!skipped) return std::unexpected(skipped.error());
  }
  return {};
}

}  // namespace velocity::protocol
