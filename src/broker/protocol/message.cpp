#include "broker/protocol/message.h"

#include <limits>

namespace velocity::protocol {

void Decoder::set_error(const char* name, const Error& e) {
  if (error_) return;
  error_ = Error{e.code, "field " + std::string(*name ? name : "element") + " (v" + std::to_string(version_) +
                             "): " + e.context};
}

void Decoder::uuid(const char* name, Uuid& out) {
  if (!ok()) return;
  auto raw = reader_.read_raw(out.size());
  if (!raw) return set_error(name, raw.error());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>((*raw)[i]);
}

void Decoder::str(const char* name, std::string& out) {
  if (!ok()) return;
  auto s = flexible_ ? reader_.read_compact_string() : reader_.read_string();
  if (!s) return set_error(name, s.error());
  out.assign(*s);
}

void Decoder::nstr(const char* name, std::optional<std::string>& out, bool nullable) {
  if (!ok()) return;
  auto s = flexible_ ? reader_.read_compact_nullable_string() : reader_.read_nullable_string();
  if (!s) return set_error(name, s.error());
  if (!*s) {
    if (!nullable) return set_error(name, Error{ErrorCode::kCorrupt, "null in a version where it is not nullable"});
    out.reset();
    return;
  }
  out.emplace(**s);
}

void Decoder::nbytes(const char* name, std::optional<Bytes>& out) {
  if (!ok()) return;
  auto b = flexible_ ? reader_.read_compact_nullable_bytes() : reader_.read_nullable_bytes();
  if (!b) return set_error(name, b.error());
  if (!*b) {
    out.reset();
    return;
  }
  out.emplace((*b)->begin(), (*b)->end());
}

void Decoder::bytes(const char* name, Bytes& out) {
  std::optional<Bytes> b;
  nbytes(name, b);
  if (!ok()) return;
  if (!b) return set_error(name, Error{ErrorCode::kCorrupt, "null bytes where none is allowed"});
  out = std::move(*b);
}

void Decoder::records(const char* name, Records& out) {
  if (!ok()) return;
  auto b = flexible_ ? reader_.read_compact_nullable_bytes() : reader_.read_nullable_bytes();
  if (!b) return set_error(name, b.error());
  out = *b ? Records::of(**b) : Records::null();
}

void Decoder::tagged_fields() {
  if (!ok() || !flexible_) return;
  if (auto r = reader_.skip_tagged_fields(); !r) set_error("_tagged_fields", r.error());
}

void Decoder::expect_end() {
  if (!ok() || reader_.at_end()) return;
  set_error("_end", Error{ErrorCode::kCorrupt, std::to_string(reader_.remaining()) + " unexpected trailing bytes"});
}

int32_t Decoder::count(const char* name, bool nullable) {
  if (!ok()) return 0;
  auto n = flexible_ ? reader_.read_compact_array_count() : reader_.read_array_count();
  if (!n) {
    set_error(name, n.error());
    return 0;
  }
  if (*n < 0 && !nullable) {
    set_error(name, Error{ErrorCode::kCorrupt, "null array in a version where it is not nullable"});
    return 0;
  }
  return *n;
}

void Encoder::set_error(const char* name, const char* what) {
  if (error_) return;
  error_ = Error{ErrorCode::kInvalidArgument,
                 "encoding field " + std::string(name) + " (v" + std::to_string(version_) + "): " + what};
}

void Encoder::str(const char* name, const std::string& v) {
  if (flexible_) return out_.write_compact_string(v);
  if (v.size() > static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
    set_error(name, "string longer than 32767 bytes");
    return out_.write_string({});
  }
  out_.write_string(v);
}

void Encoder::nstr(const char* name, const std::optional<std::string>& v, bool nullable) {
  if (v) return str(name, *v);
  if (!nullable) return set_error(name, "null in a version where it is not nullable");
  if (flexible_) return out_.write_compact_nullable_string(std::nullopt);
  out_.write_nullable_string(std::nullopt);
}

void Encoder::bytes(const char*, const Bytes& v) {
  if (flexible_) return out_.write_compact_nullable_bytes(std::span<const std::byte>(v));
  out_.write_nullable_bytes(std::span<const std::byte>(v));
}

void Encoder::nbytes(const char* name, const std::optional<Bytes>& v) {
  if (v) return bytes(name, *v);
  if (flexible_) return out_.write_compact_nullable_bytes(std::nullopt);
  out_.write_nullable_bytes(std::nullopt);
}

void Encoder::records(const char*, const Records& v) {
  if (v.is_null) {
    if (flexible_) return out_.write_compact_nullable_bytes(std::nullopt);
    return out_.write_nullable_bytes(std::nullopt);
  }
  if (flexible_) {
    out_.write_uvarint(static_cast<uint32_t>(v.size() + 1));
  } else {
    out_.write_int32(static_cast<int32_t>(v.size()));
  }
  if (v.file) return out_.write_file_range(*v.file);
  out_.write_raw(v.bytes);
}

}  // namespace velocity::protocol
