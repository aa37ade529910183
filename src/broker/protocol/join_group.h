// JoinGroup (key 11), versions 0-5, none flexible. Protocol metadata is an opaque
// ConsumerProtocolSubscription blob (consumer_protocol.h). Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct JoinGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  struct Protocol {
    std::string name;
    Bytes metadata;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.bytes("Metadata", metadata);
    }
    friend bool operator==(const Protocol&, const Protocol&) = default;
  };
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // absent before v1: use session_timeout_ms
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<Protocol> protocols;

  template <typename V>
  void visit(V& v) {
    v.str("GroupId", group_id);
    v.i32("SessionTimeoutMs", session_timeout_ms);
    if (v.version() >= 1) v.i32("RebalanceTimeoutMs", rebalance_timeout_ms);
    v.str("MemberId", member_id);
    if (v.version() >= 5) v.nstr("GroupInstanceId", group_instance_id);
    v.str("ProtocolType", protocol_type);
    v.array("Protocols", protocols);
  }
  friend bool operator==(const JoinGroupRequest&, const JoinGroupRequest&) = default;
};

struct JoinGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    Bytes metadata;
    template <typename V>
    void visit(V& v) {
      v.str("MemberId", member_id);
      if (v.version() >= 5) v.nstr("GroupInstanceId", group_instance_id);
      v.bytes("Metadata", metadata);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<Member> members;  // only the leader gets them

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 2) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.i16("ErrorCode", error_code);
    v.i32("GenerationId", generation_id);
    v.str("ProtocolName", protocol_name);
    v.str("Leader", leader);
    v.str("MemberId", member_id);
    v.array("Members", members);
  }
  friend bool operator==(const JoinGroupResponse&, const JoinGroupResponse&) = default;
};

}  // namespace velocity::protocol
