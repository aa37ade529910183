#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

constexpr int8_t kGroupKeyType = 0;
constexpr int8_t kTransactionKeyType = 1;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::FindCoordinatorRequest& request, Respond respond) {
  protocol::FindCoordinatorResponse response;
  auto fail = [&](KafkaError error, std::string message) {
    // Kafka's "no node": clients must not try to connect anywhere.
    response.error_code = protocol::wire(error);
    response.error_message = std::move(message);
    response.node_id = -1;
    response.host = "";
    response.port = -1;
  };
  if (request.key_type == kTransactionKeyType) {
    // Transactions are not offered (no transaction coordinator exists on this broker).
    fail(KafkaError::kCoordinatorNotAvailable, "transactions are not supported by this broker");
  } else if (request.key_type != kGroupKeyType) {
    fail(KafkaError::kInvalidRequest, "unknown coordinator key type " + std::to_string(request.key_type));
  } else if (ctx.groups == nullptr) {
    fail(KafkaError::kCoordinatorNotAvailable, "the group coordinator is not running");
  } else {
    // A single node coordinates every group; this must match what Metadata advertises.
    response.node_id = ctx.config.node_id;
    response.host = ctx.config.advertised_host;
    response.port = ctx.config.advertised_port;
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
