#include "broker/handlers/handlers.h"

namespace velocity::broker {

void handle(HandlerContext&, const RequestHeader&, protocol::ApiVersionsRequest&, Respond respond) {
  protocol::ApiVersionsResponse response;
  for (const auto& api : protocol::supported_apis()) {
    response.api_keys.push_back({static_cast<int16_t>(api.key), api.min_version, api.max_version});
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
