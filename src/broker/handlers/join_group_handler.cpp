#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

void handle(HandlerContext& ctx, const RequestHeader& header, protocol::JoinGroupRequest& request, Respond respond) {
  if (ctx.groups == nullptr) {
    protocol::JoinGroupResponse response;
    response.error_code = coordinator_not_available();
    response.member_id = request.member_id;
    respond(std::move(response));
    return;
  }
  group::JoinRequest join;
  join.group_id = std::move(request.group_id);
  join.member_id = request.member_id;
  join.group_instance_id = std::move(request.group_instance_id);
  join.client_id = header.client_id.value_or("");
  // The peer address is not visible to handlers; DescribeGroups shows an empty ClientHost.
  join.client_host = "";
  join.session_timeout_ms = request.session_timeout_ms;
  // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout in its place.
  join.rebalance_timeout_ms = header.api_version >= 1 ? request.rebalance_timeout_ms : request.session_timeout_ms;
  join.protocol_type = std::move(request.protocol_type);
  join.protocols.reserve(request.protocols.size());
  for (auto& protocol : request.protocols) {
    join.protocols.push_back({std::move(protocol.name), std::move(protocol.metadata)});
  }
  // KIP-394: from v4 a first join gets MEMBER_ID_REQUIRED with its new id and rejoins with it.
  join.require_known_member_id = header.api_version >= 4;

  ctx.groups->join(std::move(join), [respond = std::move(respond)](group::JoinResult result) {
    protocol::JoinGroupResponse response;
    response.error_code = wire_error(result.error);
    response.generation_id = result.generation_id;
    response.protocol_name = std::move(result.protocol_name);
    response.leader = std::move(result.leader_id);
    response.member_id = std::move(result.member_id);
    response.members.reserve(result.members.size());
    for (auto& member : result.members) {
      response.members.push_back(
          {std::move(member.member_id), std::move(member.group_instance_id), std::move(member.metadata)});
    }
    respond(std::move(response));
  });
}

}  // namespace velocity::broker
