#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::DescribeGroupsRequest& request, Respond respond) {
  protocol::DescribeGroupsResponse response;
  if (ctx.groups == nullptr) {
    for (const auto& id : request.groups) {
      auto& out = response.groups.emplace_back();
      out.error_code = protocol::wire(KafkaError::kCoordinatorNotAvailable);
      out.group_id = id;
    }
    respond(std::move(response));
    return;
  }
  // AuthorizedOperations stays INT32_MIN ("not computed"): there are no ACLs to report.
  for (auto& group : ctx.groups->describe_groups(request.groups)) {
    auto& out = response.groups.emplace_back();
    out.error_code = wire_error(group.error);
    out.group_id = std::move(group.group_id);
    out.group_state = std::move(group.state);
    out.protocol_type = std::move(group.protocol_type);
    out.protocol_data = std::move(group.protocol);
    out.members.reserve(group.members.size());
    for (auto& member : group.members) {
      auto& m = out.members.emplace_back();
      m.member_id = std::move(member.member_id);
      m.group_instance_id = std::move(member.group_instance_id);
      m.client_id = std::move(member.client_id);
      m.client_host = std::move(member.client_host);
      m.member_metadata = std::move(member.metadata);
      m.member_assignment = std::move(member.assignment);
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
