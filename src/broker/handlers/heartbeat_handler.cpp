#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::HeartbeatRequest& request, Respond respond) {
  protocol::HeartbeatResponse response;
  if (ctx.groups == nullptr) {
    response.error_code = coordinator_not_available();
  } else {
    response.error_code = wire_error(ctx.groups->heartbeat(request.group_id, request.generation_id, request.member_id));
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
