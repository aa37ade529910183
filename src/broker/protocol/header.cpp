#include "broker/protocol/header.h"

namespace velocity::protocol {

Result<RequestHeader> read_request_header(Reader& in) {
  RequestHeader header;
  auto key = in.read_int16();
  if (!key) return fail(ErrorCode::kCorrupt, "request header api_key: " + key.error().context);
  auto version = in.read_int16();
  if (!version) return fail(ErrorCode::kCorrupt, "request header api_version: " + version.error().context);
  auto correlation = in.read_int32();
  if (!correlation) return fail(ErrorCode::kCorrupt, "request header correlation_id: " + correlation.error().context);
  auto client_id = in.read_nullable_string();
  if (!client_id) return fail(ErrorCode::kCorrupt, "request header client_id: " + client_id.error().context);
  header.api_key = static_cast<ApiKey>(*key);
  header.api_version = *version;
  header.correlation_id = *correlation;
  if (*client_id) header.client_id.emplace(**client_id);
  if (is_flexible(header.api_key, header.api_version)) {
    if (auto tags = in.skip_tagged_fields(); !tags) {
      return fail(ErrorCode::kCorrupt, "request header tagged fields: " + tags.error().context);
    }
  }
  return header;
}

void write_request_header(Writer& out, const RequestHeader& header) {
  out.write_int16(static_cast<int16_t>(header.api_key));
  out.write_int16(header.api_version);
  out.write_int32(header.correlation_id);
  out.write_nullable_string(header.client_id);
  if (is_flexible(header.api_key, header.api_version)) out.write_empty_tagged_fields();
}

int16_t response_header_version(ApiKey key, int16_t api_version) {
  // KIP-511: a client must be able to read the ApiVersions response before it knows which
  // versions the broker speaks, so that header never carries tags.
  if (key == ApiKey::kApiVersions) return 0;
  return is_flexible(key, api_version) ? 1 : 0;
}

void write_response_header(Writer& out, int32_t correlation_id, int16_t header_version) {
  out.write_int32(correlation_id);
  if (header_version >= 1) out.write_empty_tagged_fields();
}

Result<int32_t> read_response_header(Reader& in, int16_t header_version) {
  auto correlation = in.read_int32();
  if (!correlation) return fail(ErrorCode::kCorrupt, "response header: " + correlation.error().context);
  if (header_version >= 1) {
    if (auto tags = in.skip_tagged_fields(); !tags) {
      return fail(ErrorCode::kCorrupt, "response header tagged fields: " + tags.error().context);
    }
  }
  return *correlation;
}

}  // namespace velocity::protocol
