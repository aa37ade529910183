// DescribeGroups (key 15), versions 0-4, none flexible (v0 is what rd_kafka_list_groups()
// sends). Member metadata/assignment are the consumer protocol blobs. Plain data; thread-safe
// as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct DescribeGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  std::vector<std::string> groups;
  bool include_authorized_operations = false;

  template <typename V>
  void visit(V& v) {
    v.array("Groups", groups);
    if (v.version() >= 3) v.boolean("IncludeAuthorizedOperations", include_authorized_operations);
  }
  friend bool operator==(const DescribeGroupsRequest&, const DescribeGroupsRequest&) = default;
};

struct DescribeGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    Bytes member_metadata;
    Bytes member_assignment;
    template <typename V>
    void visit(V& v) {
      v.str("MemberId", member_id);
      if (v.version() >= 4) v.nstr("GroupInstanceId", group_instance_id);
      v.str("ClientId", client_id);
      v.str("ClientHost", client_host);
      v.bytes("MemberMetadata", member_metadata);
      v.bytes("MemberAssignment", member_assignment);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };
  struct Group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;
    std::string protocol_type;
    std::string protocol_data;
    std::vector<Member> members;
    int32_t authorized_operations = INT32_MIN;
    template <typename V>
    void visit(V& v) {
      v.i16("ErrorCode", error_code);
      v.str("GroupId", group_id);
      v.str("GroupState", group_state);
      v.str("ProtocolType", protocol_type);
      v.str("ProtocolData", protocol_data);
      v.array("Members", members);
      if (v.version() >= 3) v.i32("AuthorizedOperations", authorized_operations);
    }
    friend bool operator==(const Group&, const Group&) = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Group> groups;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Groups", groups);
  }
  friend bool operator==(const DescribeGroupsResponse&, const DescribeGroupsResponse&) = default;
};

}  // namespace velocity::protocol
