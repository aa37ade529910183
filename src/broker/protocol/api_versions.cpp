#include "broker/protocol/api_versions.h"

namespace velocity::protocol {

ApiVersionsResponse make_api_versions_response() {
  ApiVersionsResponse response;
  for (const ApiInfo& api : supported_apis()) {
    response.api_keys.push_back({static_cast<int16_t>(api.key), api.min_version, api.max_version});
  }
  return response;
}

}  // namespace velocity::protocol
