// Writer: encodes Kafka primitives into a growable buffer that is reused across frames
// (clear() keeps the capacity). Record batches that live in a file are not copied: they are
// recorded as FileRange segments at their place in the output, so the sender can write the
// buffered framing bytes and splice the file ranges (sendfile) in between. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace velocity::protocol {

// Bytes that stay in a file until they are sent: `length` bytes of `fd` from `position`.
// The writer never reads them; the sender does. `keep_alive` is carried through untouched so
// whoever owns the file (a log segment) can keep it open until the bytes are on the wire.
struct FileRange {
  int fd = -1;
  int64_t position = 0;
  int32_t length = 0;
  std::shared_ptr<const void> keep_alive;
  friend bool operator==(const FileRange&, const FileRange&) = default;
};

// One piece of an encoded frame, in send order: bytes from the writer's buffer, or a file range.
using FrameSegment = std::variant<std::span<const std::byte>, FileRange>;

class Writer {
 public:
  // Forgets the contents (and file ranges) but keeps the allocated capacity.
  void clear();

  void write_int8(int8_t v);
  void write_int16(int16_t v);
  void write_int32(int32_t v);
  void write_int64(int64_t v);
  void write_uint16(uint16_t v);
  void write_uint32(uint32_t v);
  void write_float64(double v);
  void write_bool(bool v) { write_int8(v ? 1 : 0); }
  void write_uvarint(uint32_t v);
  void write_varint(int32_t v);
  void write_varlong(int64_t v);
  void write_raw(std::span<const std::byte> bytes);

  // Callers check lengths against the protocol limits (int16 for classic strings) first;
  // the message encoder does.
  void write_string(std::string_view s);
  void write_nullable_string(std::optional<std::string_view> s);
  void write_compact_string(std::string_view s);
  void write_compact_nullable_string(std::optional<std::string_view> s);
  void write_nullable_bytes(std::optional<std::span<const std::byte>> b);
  void write_compact_nullable_bytes(std::optional<std::span<const std::byte>> b);
  void write_array_count(int32_t n) { write_int32(n); }         // -1 = null
  void write_compact_array_count(int32_t n);                     // -1 = null
  void write_empty_tagged_fields() { write_uvarint(0); }

  // Appends `range.length` bytes that the sender takes from a file at this point.
  void write_file_range(const FileRange& range);

  // Reserves an int32 to be filled in later (a frame's size prefix); returns its position.
  size_t reserve_int32();
  void patch_int32(size_t position, int32_t v);

  // Total encoded size, file ranges included.
  size_t size() const { return buffer_.size() + file_bytes_; }
  bool has_file_ranges() const { return !files_.empty(); }
  // The buffered bytes. Only the whole frame when has_file_ranges() is false.
  std::span<const std::byte> buffer() const { return buffer_; }
  // The frame in send order. Spans point into this writer: valid until its next change.
  std::vector<FrameSegment> segments() const;

 private:
  struct PlacedFile {
    size_t at;  // buffer position the range is sent after
    FileRange range;
  };

  std::vector<std::byte> buffer_;
  std::vector<PlacedFile> files_;
  size_t file_bytes_ = 0;
};

}  // namespace velocity::protocol
