#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::ListGroupsRequest&, Respond respond) {
  protocol::ListGroupsResponse response;
  if (ctx.groups == nullptr) {
    response.error_code = protocol::wire(KafkaError::kCoordinatorNotAvailable);
  } else {
    for (auto& listing : ctx.groups->list_groups()) {
      response.groups.push_back({std::move(listing.group_id), std::move(listing.protocol_type)});
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
