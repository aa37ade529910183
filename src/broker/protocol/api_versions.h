// ApiVersions (key 18), versions 0-3; v3 is flexible. The response header is always v0
// (see codec.h). Tagged response fields (features) are not modelled: skipped on decode,
// never written. Plain data; thread-safe as values are.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct ApiVersionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  std::string client_software_name;
  std::string client_software_version;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 3) {
      v.str("ClientSoftwareName", client_software_name);
      v.str("ClientSoftwareVersion", client_software_version);
    }
  }
  friend bool operator==(const ApiVersionsRequest&, const ApiVersionsRequest&) = default;
};

struct ApiVersionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  struct ApiVersion {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
    template <typename V>
    void visit(V& v) {
      v.i16("ApiKey", api_key);
      v.i16("MinVersion", min_version);
      v.i16("MaxVersion", max_version);
    }
    friend bool operator==(const ApiVersion&, const ApiVersion&) = default;
  };
  int16_t error_code = 0;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;

  template <typename V>
  void visit(V& v) {
    v.i16("ErrorCode", error_code);
    v.array("ApiKeys", api_keys);
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
  }
  friend bool operator==(const ApiVersionsResponse&, const ApiVersionsResponse&) = default;
};

// Our answer to a supported ApiVersions request: every API of the registry with its
// advertised range.
ApiVersionsResponse make_api_versions_response();

}  // namespace velocity::protocol
