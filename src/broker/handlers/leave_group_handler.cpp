#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

void handle(HandlerContext& ctx, const RequestHeader& header, protocol::LeaveGroupRequest& request, Respond respond) {
  protocol::LeaveGroupResponse response;
  if (ctx.groups == nullptr) {
    response.error_code = coordinator_not_available();
    respond(std::move(response));
    return;
  }
  if (header.api_version <= 2) {
    // v0-2 name one member and have only the top-level ErrorCode to answer with.
    auto result = ctx.groups->leave(request.group_id, {request.member_id});
    GroupError error = result.error;
    if (error == GroupError::kNone && !result.members.empty()) error = result.members.front().second;
    response.error_code = wire_error(error);
    respond(std::move(response));
    return;
  }
  // v3+: a batch of members, each answered on its own; static members are treated as dynamic,
  // so each is identified by its MemberId.
  std::vector<std::string> member_ids;
  member_ids.reserve(request.members.size());
  for (const auto& member : request.members) member_ids.push_back(member.member_id);
  auto result = ctx.groups->leave(request.group_id, member_ids);
  response.error_code = wire_error(result.error);
  for (size_t i = 0; i < result.members.size(); ++i) {
    auto& out = response.members.emplace_back();
    out.member_id = result.members[i].first;
    if (i < request.members.size()) out.group_instance_id = request.members[i].group_instance_id;
    out.error_code = wire_error(result.members[i].second);
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
