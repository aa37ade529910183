// The state of one classic consumer group as the coordinator keeps it: members with their
// parked JoinGroup/SyncGroup completions, generation, leader, chosen protocol and the join-phase
// timers. Internal to GroupCoordinator; plain data plus pure queries. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/group/group_types.h"

namespace velocity::group {

struct Member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<ProtocolOffer> protocols;
  Bytes assignment;
  int64_t last_seen_ms = 0;     // last JoinGroup/SyncGroup/Heartbeat/OffsetCommit
  JoinCompletion pending_join;  // set while its JoinGroup is parked
  SyncCompletion pending_sync;  // set while its SyncGroup is parked

  // This member's metadata for `protocol`, or nullptr if it does not offer it.
  const Bytes* metadata_for(const std::string& protocol) const;
  bool offers_same_protocols(const std::vector<ProtocolOffer>& protocols) const;
};

struct Group {
  std::string id;
  GroupState state = GroupState::kEmpty;
  int32_t generation = 0;
  std::string protocol_type;
  std::string protocol_name;  // empty until a join phase completes with members
  std::string leader_id;
  std::map<std::string, Member> members;
  // Ids handed out with MEMBER_ID_REQUIRED, valid until the given time (KIP-394).
  std::map<std::string, int64_t> pending_member_ids;
  int64_t join_not_before_ms = 0;  // initial rebalance delay of a group that was Empty
  int64_t join_deadline_ms = 0;    // rebalance timeout of the current join phase
  bool initial_delay_active = false;

  // True if every member offers at least one protocol also in `protocols` common to all.
  bool supports(const std::vector<ProtocolOffer>& protocols) const;
  // The protocol every member supports with the most first-choice votes among those;
  // ties go to the leader's (or first member's) preference order.
  std::string select_protocol() const;
  bool all_members_joined() const;
  int32_t max_rebalance_timeout_ms() const;
  // Topics the members subscribed to, decoded from their "consumer" protocol metadata;
  // nullopt if the group is not a consumer group or any metadata cannot be decoded.
  std::optional<std::set<std::string>> subscribed_topics() const;
};

// Topics of a ConsumerProtocolSubscription blob (any version); nullopt if malformed.
std::optional<std::vector<std::string>> decode_subscription_topics(const Bytes& metadata);

}  // namespace velocity::group
