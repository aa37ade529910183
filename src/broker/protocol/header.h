// Request and response headers. A request header is v2 (v1 plus a tag buffer) exactly when
// its (api, version) is flexible, else v1; client_id is a classic int16 string in both, so the
// header of any ApiVersions request parses. A response header is v1 (with tags) when the
// version is flexible, except ApiVersions, always v0. Pure functions over a Reader/Writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/protocol/api_registry.h"
#include "broker/protocol/reader.h"
#include "broker/protocol/writer.h"
#include "common/result.h"

namespace velocity::protocol {

struct RequestHeader {
  ApiKey api_key = ApiKey::kApiVersions;  // may hold a key we do not speak
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  friend bool operator==(const RequestHeader&, const RequestHeader&) = default;
};

// Reads the header and, for flexible versions, skips its tag buffer. Unknown keys are read as
// header v1 (their flexibility is unknowable); the caller rejects them.
[[nodiscard]] Result<RequestHeader> read_request_header(Reader& in);
void write_request_header(Writer& out, const RequestHeader& header);

// 0 or 1, per the rule above.
int16_t response_header_version(ApiKey key, int16_t api_version);
void write_response_header(Writer& out, int32_t correlation_id, int16_t header_version);
// Returns the correlation id.
[[nodiscard]] Result<int32_t> read_response_header(Reader& in, int16_t header_version);

}  // namespace velocity::protocol
