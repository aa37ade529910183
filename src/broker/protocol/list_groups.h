// ListGroups (key 16), versions 0-2, none flexible; the request has no fields. Plain data;
// thread-safe as values are.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct ListGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;

  template <typename V>
  void visit(V&) {}
  friend bool operator==(const ListGroupsRequest&, const ListGroupsRequest&) = default;
};

struct ListGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;
  struct Group {
    std::string group_id;
    std::string protocol_type;
    template <typename V>
    void visit(V& v) {
      v.str("GroupId", group_id);
      v.str("ProtocolType", protocol_type);
    }
    friend bool operator==(const Group&, const Group&) = default;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Group> groups;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.i16("ErrorCode", error_code);
    v.array("Groups", groups);
  }
  friend bool operator==(const ListGroupsResponse&, const ListGroupsResponse&) = default;
};

}  // namespace velocity::protocol
