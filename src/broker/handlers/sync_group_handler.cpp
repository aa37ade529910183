#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::SyncGroupRequest& request, Respond respond) {
  if (ctx.groups == nullptr) {
    protocol::SyncGroupResponse response;
    response.error_code = coordinator_not_available();
    respond(std::move(response));
    return;
  }
  group::SyncRequest sync;
  sync.group_id = std::move(request.group_id);
  sync.generation_id = request.generation_id;
  sync.member_id = std::move(request.member_id);
  sync.group_instance_id = std::move(request.group_instance_id);
  // ProtocolType/ProtocolName arrive only with SyncGroup v5+, which we do not speak.
  sync.assignments.reserve(request.assignments.size());
  for (auto& assignment : request.assignments) {
    sync.assignments.push_back({std::move(assignment.member_id), std::move(assignment.assignment)});
  }
  ctx.groups->sync(std::move(sync), [respond = std::move(respond)](group::SyncResult result) {
    protocol::SyncGroupResponse response;
    response.error_code = wire_error(result.error);
    response.assignment = std::move(result.assignment);
    respond(std::move(response));
  });
}

}  // namespace velocity::broker
