#include "toolkit/store/header_codec.h"

#include <cstdint>

#include "common/big_endian.h"

namespace velocity::store {
namespace {

void put(std::string& out, std::string_view field) {
  char length[4];
  store_be<uint32_t>(length, static_cast<uint32_t>(field.size()));
  out.append(length, 4);
  out.append(field);
}

// Reads one length-prefixed field; the bytes come from disk, so every length is checked.
bool take(std::string_view& in, std::string& field) {
  if (in.size() < 4) return false;
  uint32_t length = load_be<uint32_t>(in.data());
  in.remove_prefix(4);
  if (length > in.size()) return false;
  field.assign(in.data(), length);
  in.remove_prefix(length);
  return true;
}

}  // namespace

std::string encode_headers(const std::vector<Header>& headers) {
  std::string out;
  for (const auto& h : headers) {
    put(out, h.name);
    put(out, h.value);
  }
  return out;
}

Result<std::vector<Header>> decode_headers(std::string_view bytes) {
  std::vector<Header> headers;
  while (!bytes.empty()) {
    Header h;
    if (!take(bytes, h.name) || !take(bytes, h.value)) {
      return fail(ErrorCode::kCorrupt, "outbox headers: a length runs past the end of the column");
    }
    headers.push_back(std::move(h));
  }
  return headers;
}

}  // namespace velocity::store
