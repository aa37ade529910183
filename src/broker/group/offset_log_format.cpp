#include "broker/group/offset_log_format.h"

#include "common/big_endian.h"
#include "common/crc32c.h"

namespace velocity::group {
namespace {

template <typename T>
void put(std::string& out, T value) {
  char buf[sizeof(T)];
  store_be<T>(buf, value);
  out.append(buf, sizeof(T));
}

void put_string(std::string& out, std::string_view s) {
  put<int16_t>(out, static_cast<int16_t>(s.size()));
  out.append(s);
}

void put_nullable(std::string& out, const std::optional<std::string>& s) {
  if (!s) {
    put<int16_t>(out, -1);
  } else {
    put_string(out, *s);
  }
}

// Bounds-checked reader over one payload; any short read makes the whole decode fail.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  template <typename T>
  bool get(T& value) {
    if (data_.size() < sizeof(T)) return false;
    value = load_be<T>(data_.data());
    data_.remove_prefix(sizeof(T));
    return true;
  }

  bool get_nullable(std::optional<std::string>& value) {
    int16_t len = 0;
    if (!get(len)) return false;
    if (len == -1) {
      value.reset();
      return true;
    }
    if (len < 0 || data_.size() < static_cast<size_t>(len)) return false;
    value = std::string(data_.substr(0, static_cast<size_t>(len)));
    data_.remove_prefix(static_cast<size_t>(len));
    return true;
  }

  bool get_string(std::string& value) {
    std::optional<std::string> s;
    if (!get_nullable(s) || !s) return false;
    value = std::move(*s);
    return true;
  }

  bool at_end() const { return data_.empty(); }

 private:
  std::string_view data_;
};

std::optional<OffsetRecord> decode_payload(std::string_view payload) {
  Reader in(payload);
  uint8_t version = 0;
  uint8_t type = 0;
  OffsetRecord r;
  if (!in.get(version) || version != kOffsetLogFormatVersion || !in.get(type)) return std::nullopt;
  if (!in.get_string(r.group)) return std::nullopt;
  r.type = static_cast<OffsetRecordType>(type);
  bool ok = false;
  switch (r.type) {
    case OffsetRecordType::kOffsetCommit:
      ok = in.get_string(r.topic) && in.get(r.partition) && in.get(r.offset.offset) &&
           in.get(r.offset.leader_epoch) && in.get_nullable(r.offset.metadata) &&
           in.get(r.offset.commit_timestamp_ms);
      break;
    case OffsetRecordType::kOffsetTombstone:
      ok = in.get_string(r.topic) && in.get(r.partition);
      break;
    case OffsetRecordType::kGroupMetadata:
      ok = in.get(r.metadata.generation) && in.get_string(r.metadata.protocol_type);
      break;
    case OffsetRecordType::kGroupTombstone:
      ok = true;
      break;
  }
  if (!ok || !in.at_end()) return std::nullopt;
  return r;
}

}  // namespace

void encode_offset_record(const OffsetRecord& record, std::string& out) {
  std::string payload;
  put<uint8_t>(payload, kOffsetLogFormatVersion);
  put<uint8_t>(payload, static_cast<uint8_t>(record.type));
  put_string(payload, record.group);
  switch (record.type) {
    case OffsetRecordType::kOffsetCommit:
      put_string(payload, record.topic);
      put<int32_t>(payload, record.partition);
      put<int64_t>(payload, record.offset.offset);
      put<int32_t>(payload, record.offset.leader_epoch);
      put_nullable(payload, record.offset.metadata);
      put<int64_t>(payload, record.offset.commit_timestamp_ms);
      break;
    case OffsetRecordType::kOffsetTombstone:
      put_string(payload, record.topic);
      put<int32_t>(payload, record.partition);
      break;
    case OffsetRecordType::kGroupMetadata:
      put<int32_t>(payload, record.metadata.generation);
      put_string(payload, record.metadata.protocol_type);
      break;
    case OffsetRecordType::kGroupTombstone:
      break;
  }
  put<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  put<uint32_t>(out, crc32c_extend(0, payload.data(), payload.size()));
  out += payload;
}

Result<OffsetLogScan> scan_offset_log(std::string_view data) {
  OffsetLogScan scan;
  uint64_t pos = 0;
  while (pos < data.size()) {
    std::string_view rest = data.substr(pos);
    // A short header, a zero or oversized length, or a frame running past the end of the file
    // is what an interrupted append (or a zero-filled unsynced tail) leaves behind.
    if (rest.size() < kOffsetLogFrameHeader) break;
    uint32_t len = load_be<uint32_t>(rest.data());
    uint32_t crc = load_be<uint32_t>(rest.data() + 4);
    if (len < 2 || len > kOffsetLogMaxPayload || rest.size() - kOffsetLogFrameHeader < len) break;
    std::string_view payload = rest.substr(kOffsetLogFrameHeader, len);
    bool is_last = rest.size() == kOffsetLogFrameHeader + len;
    if (crc32c_extend(0, payload.data(), payload.size()) != crc) {
      // The last frame may be partly written; a bad frame with good data behind it may not.
      if (is_last) break;
      return fail(ErrorCode::kCorrupt,
                  "offsets log: CRC mismatch at byte " + std::to_string(pos) + " before the tail");
    }
    auto record = decode_payload(payload);
    if (!record) {
      return fail(ErrorCode::kCorrupt,
                  "offsets log: undecodable record (unknown version or type) at byte " +
                      std::to_string(pos));
    }
    scan.records.push_back(std::move(*record));
    pos += kOffsetLogFrameHeader + len;
  }
  scan.valid_bytes = pos;
  scan.dropped_bytes = data.size() - pos;
  return scan;
}

}  // namespace velocity::group
