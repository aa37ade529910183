// DeleteGroups (key 42), versions 0-1, none flexible (v2+ is). Layout per Kafka's
// DeleteGroups{Request,Response}.json. Plain data; thread-safe as values are.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct DeleteGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  std::vector<std::string> groups_names;

  template <typename V>
  void visit(V& v) {
    v.array("GroupsNames", groups_names);
  }
  friend bool operator==(const DeleteGroupsRequest&, const DeleteGroupsRequest&) = default;
};

struct DeleteGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  struct GroupResult {
    std::string group_id;
    int16_t error_code = 0;
    template <typename V>
    void visit(V& v) {
      v.str("GroupId", group_id);
      v.i16("ErrorCode", error_code);
    }
    friend bool operator==(const GroupResult&, const GroupResult&) = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<GroupResult> results;

  template <typename V>
  void visit(V& v) {
    v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Results", results);
  }
  friend bool operator==(const DeleteGroupsResponse&, const DeleteGroupsResponse&) = default;
};

}  // namespace velocity::protocol
