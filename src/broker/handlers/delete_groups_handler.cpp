#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::DeleteGroupsRequest& request, Respond respond) {
  protocol::DeleteGroupsResponse response;
  if (ctx.groups == nullptr) {
    for (const auto& id : request.groups_names) {
      response.results.push_back({id, protocol::wire(KafkaError::kCoordinatorNotAvailable)});
    }
  } else {
    for (auto& deletion : ctx.groups->delete_groups(request.groups_names)) {
      response.results.push_back({std::move(deletion.group_id), wire_error(deletion.error)});
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
