// FindCoordinator, JoinGroup, SyncGroup, Heartbeat and LeaveGroup: the consumer-group membership
// APIs, translated to group::GroupCoordinator calls. JoinGroup and SyncGroup may answer later,
// from whichever coordinator call completes them; every coordinator call runs on the event loop,
// so `respond` is always invoked there. Semantics: docs/groups.md.
#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {
namespace {

using group::GroupError;
using protocol::KafkaError;

constexpr int8_t kGroupKeyType = 0;
constexpr int8_t kTransactionKeyType = 1;

int16_t coordinator_not_available() { return protocol::wire(KafkaError::kCoordinatorNotAvailable); }

}  // namespace

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

void handle(HandlerContext& ctx, const RequestHeader&, protocol::HeartbeatRequest& request, Respond respond) {
  protocol::HeartbeatResponse response;
  if (ctx.groups == nullptr) {
    response.error_code = coordinator_not_available();
  } else {
    response.error_code = wire_error(ctx.groups->heartbeat(request.group_id, request.generation_id, request.member_id));
  }
  respond(std::move(response));
}

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
