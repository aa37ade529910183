#include "broker/protocol/writer.h"

#include <bit>

#include "common/big_endian.h"

namespace velocity::protocol {

void Writer::clear() {
  buffer_.clear();
  files_.clear();
  file_bytes_ = 0;
}

namespace {

template <typename T>
void append_be(std::vector<std::byte>& out, T v) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  store_be<T>(out.data() + at, v);
}

}  // namespace

void Writer::write_int8(int8_t v) { buffer_.push_back(static_cast<std::byte>(v)); }
void Writer::write_int16(int16_t v) { append_be(buffer_, v); }
void Writer::write_int32(int32_t v) { append_be(buffer_, v); }
void Writer::write_int64(int64_t v) { append_be(buffer_, v); }
void Writer::write_uint16(uint16_t v) { append_be(buffer_, v); }
void Writer::write_uint32(uint32_t v) { append_be(buffer_, v); }
void Writer::write_float64(double v) { append_be(buffer_, std::bit_cast<uint64_t>(v)); }

void Writer::write_uvarint(uint32_t v) {
  while (v >= 0x80) {
    buffer_.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  buffer_.push_back(static_cast<std::byte>(v));
}

void Writer::write_varlong(int64_t v) {
  auto zigzag = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (zigzag >= 0x80) {
    buffer_.push_back(static_cast<std::byte>((zigzag & 0x7F) | 0x80));
    zigzag >>= 7;
  }
  buffer_.push_back(static_cast<std::byte>(zigzag));
}

void Writer::write_varint(int32_t v) { write_varlong(v); }

void Writer::write_raw(std::span<const std::byte> bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }

void Writer::write_string(std::string_view s) {
  write_int16(static_cast<int16_t>(s.size()));
  write_raw(std::as_bytes(std::span(s.data(), s.size())));
}

void Writer::write_nullable_string(std::optional<std::string_view> s) {
  if (!s) return write_int16(-1);
  write_string(*s);
}

void Writer::write_compact_string(std::string_view s) {
  write_uvarint(static_cast<uint32_t>(s.size() + 1));
  write_raw(std::as_bytes(std::span(s.data(), s.size())));
}

void Writer::write_compact_nullable_string(std::optional<std::string_view> s) {
  if (!s) return write_uvarint(0);
  write_compact_string(*s);
}

void Writer::write_nullable_bytes(std::optional<std::span<const std::byte>> b) {
  if (!b) return write_int32(-1);
  write_int32(static_cast<int32_t>(b->size()));
  write_raw(*b);
}

void Writer::write_compact_nullable_bytes(std::optional<std::span<const std::byte>> b) {
  if (!b) return write_uvarint(0);
  write_uvarint(static_cast<uint32_t>(b->size() + 1));
  write_raw(*b);
}

void Writer::write_compact_array_count(int32_t n) { write_uvarint(static_cast<uint32_t>(n + 1)); }

void Writer::write_file_range(const FileRange& range) {
  files_.push_back(PlacedFile{buffer_.size(), range});
  file_bytes_ += static_cast<size_t>(range.length);
}

size_t Writer::reserve_int32() {
  size_t at = buffer_.size();
  write_int32(0);
  return at;
}

void Writer::patch_int32(size_t position, int32_t v) { store_be<int32_t>(buffer_.data() + position, v); }

std::vector<FrameSegment> Writer::segments() const {
  std::vector<FrameSegment> out;
  std::span<const std::byte> all(buffer_);
  size_t from = 0;
  for (const auto& file : files_) {
    if (file.at > from) out.emplace_back(all.subspan(from, file.at - from));
    out.emplace_back(file.range);
    from = file.at;
  }
  if (from < all.size()) out.emplace_back(all.subspan(from));
  return out;
}

}  // namespace velocity::protocol
