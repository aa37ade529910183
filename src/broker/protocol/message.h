// How a Kafka message is defined here: each request/response struct lists its fields once, in
// wire order and with their version ranges, in a templated `visit(V& v)` member. The same
// function drives the Decoder and the Encoder below (and the test visitors), so decoding and
// encoding cannot drift apart. Field names are the official schema names (docs/protocol.md).
// Decoded Records are views into the decoded frame: keep the frame alive while using them.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "broker/protocol/api_registry.h"
#include "broker/protocol/reader.h"
#include "broker/protocol/writer.h"
#include "common/result.h"

namespace velocity::protocol {

using Bytes = std::vector<std::byte>;
using Uuid = std::array<uint8_t, 16>;

// A RECORDS field: one or more record batches, never parsed by this codec. Either null, a
// view of bytes in memory (decoded requests point into the request frame), or, when encoding
// a Fetch response, a range of a segment file that the sender splices in.
struct Records {
  bool is_null = false;
  ByteView bytes;
  std::optional<FileRange> file;

  static Records null() { return Records{true, {}, std::nullopt}; }
  static Records of(ByteView b) { return Records{false, b, std::nullopt}; }
  static Records from_file(FileRange r) { return Records{false, {}, r}; }
  size_t size() const { return file ? static_cast<size_t>(file->length) : bytes.size(); }
  friend bool operator==(const Records& a, const Records& b) {
    return a.is_null == b.is_null && a.file == b.file && std::ranges::equal(a.bytes, b.bytes);
  }
};

// Reads fields from a body. The first failure is kept (with the field name) and every later
// read is a no-op, so `visit` needs no error plumbing; check ok() at the end.
class Decoder {
 public:
  Decoder(ByteView data, int16_t version, bool flexible) : reader_(data), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }
  Reader& reader() { return reader_; }

  void i8(const char* name, int8_t& out) { take(name, reader_.read_int8(), out); }
  void i16(const char* name, int16_t& out) { take(name, reader_.read_int16(), out); }
  void i32(const char* name, int32_t& out) { take(name, reader_.read_int32(), out); }
  void i64(const char* name, int64_t& out) { take(name, reader_.read_int64(), out); }
  void boolean(const char* name, bool& out) { take(name, reader_.read_bool(), out); }
  void uuid(const char* name, Uuid& out);
  void str(const char* name, std::string& out);
  void nstr(const char* name, std::optional<std::string>& out, bool nullable = true);
  void bytes(const char* name, Bytes& out);
  void nbytes(const char* name, std::optional<Bytes>& out);
  void records(const char* name, Records& out);
  void tagged_fields();
  // Fails unless every byte was consumed: we reject trailing garbage (docs/protocol.md).
  void expect_end();

  template <typename T>
  void array(const char* name, std::vector<T>& out) {
    int32_t n = count(name, false);
    read_elements(n, out);
  }
  template <typename T>
  void narray(const char* name, std::optional<std::vector<T>>& out, bool nullable = true) {
    int32_t n = count(name, nullable);
    if (!ok()) return;
    if (n < 0) {
      out.reset();
      return;
    }
    out.emplace();
    read_elements(n, *out);
  }

  void set_error(const char* name, const Error& e);

 private:
  template <typename T, typename U>
  void take(const char* name, Result<T> r, U& out) {
    if (!ok()) return;
    if (!r) return set_error(name, r.error());
    out = static_cast<U>(*r);
  }
  int32_t count(const char* name, bool nullable);
  template <typename T>
  void read_elements(int32_t n, std::vector<T>& out);

  Reader reader_;
  int16_t version_;
  bool flexible_;
  std::optional<Error> error_;
};

// Writes fields of a body. visit() is non-const so one definition serves both directions;
// the Encoder only reads through the references. Errors (a null where the version allows
// none, a string longer than int16) are kept like the Decoder's.
class Encoder {
 public:
  Encoder(Writer& out, int16_t version, bool flexible) : out_(out), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }

  void i8(const char*, const int8_t& v) { out_.write_int8(v); }
  void i16(const char*, const int16_t& v) { out_.write_int16(v); }
  void i32(const char*, const int32_t& v) { out_.write_int32(v); }
  void i64(const char*, const int64_t& v) { out_.write_int64(v); }
  void boolean(const char*, const bool& v) { out_.write_bool(v); }
  void uuid(const char*, const Uuid& v) { out_.write_raw(std::as_bytes(std::span(v))); }
  void str(const char* name, const std::string& v);
  void nstr(const char* name, const std::optional<std::string>& v, bool nullable = true);
  void bytes(const char* name, const Bytes& v);
  void nbytes(const char* name, const std::optional<Bytes>& v);
  void records(const char* name, const Records& v);
  void tagged_fields() {
    if (flexible_) out_.write_empty_tagged_fields();
  }

  template <typename T>
  void array(const char*, const std::vector<T>& v) {
    write_count(static_cast<int32_t>(v.size()));
    write_elements(v);
  }
  template <typename T>
  void narray(const char* name, const std::optional<std::vector<T>>& v, bool nullable = true) {
    if (!v) {
      if (!nullable) return set_error(name, "null array in a version where it is not nullable");
      return write_count(-1);
    }
    array(name, *v);
  }

 private:
  void write_count(int32_t n) {
    if (flexible_) return out_.write_compact_array_count(n);
    out_.write_array_count(n);
  }
  template <typename T>
  void write_elements(const std::vector<T>& v);
  void set_error(const char* name, const char* what);

  Writer& out_;
  int16_t version_;
  bool flexible_;
  std::optional<Error> error_;
};

// One array element: a primitive, or a struct followed by its tag buffer (flexible only).
template <typename V, typename T>
void visit_element(V& v, T& element) {
  if constexpr (std::is_same_v<std::remove_const_t<T>, int32_t>) {
    v.i32("", element);
  } else if constexpr (std::is_same_v<std::remove_const_t<T>, int64_t>) {
    v.i64("", element);
  } else if constexpr (std::is_same_v<std::remove_const_t<T>, std::string>) {
    v.str("", element);
  } else {
    const_cast<std::remove_const_t<T>&>(element).visit(v);
    v.tagged_fields();
  }
}

template <typename T>
void Decoder::read_elements(int32_t n, std::vector<T>& out) {
  out.clear();
  // n is bounded by the bytes left, but an element may be far larger than a byte in memory:
  // grow as elements actually decode instead of trusting n.
  out.reserve(static_cast<size_t>(std::min(n, 64)));
  for (int32_t i = 0; i < n && ok(); ++i) visit_element(*this, out.emplace_back());
}

template <typename T>
void Encoder::write_elements(const std::vector<T>& v) {
  for (const auto& element : v) visit_element(*this, element);
}

// Decodes a whole body (message fields, then its tag buffer when flexible) that must fill
// `data` exactly.
template <typename Message>
Result<Message> decode_message(ByteView data, int16_t version, bool flexible) {
  Decoder d(data, version, flexible);
  Message message;
  message.visit(d);
  d.tagged_fields();
  d.expect_end();
  if (!d.ok()) return std::unexpected(d.error());
  return message;
}

template <typename Message>
Result<void> encode_message(Writer& out, const Message& message, int16_t version, bool flexible) {
  Encoder e(out, version, flexible);
  const_cast<Message&>(message).visit(e);
  e.tagged_fields();
  if (!e.ok()) return std::unexpected(e.error());
  return {};
}

}  // namespace velocity::protocol
