// LeaveGroup (key 13), versions 0-3, none flexible. v0-2 name one MemberId; v3 carries a
// Members batch instead. Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct LeaveGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    template <typename V>
    void visit(V& v) {
      v.str("MemberId", member_id);
      v.nstr("GroupInstanceId", group_instance_id);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };
  std::string group_id;
  std::string member_id;        // v0-2
  std::vector<Member> members;  // v3+

  template <typename V>
  void visit(V& v) {
    v.str("GroupId", group_id);
    if (v.version() <= 2) v.str("MemberId", member_id);
    if (v.version() >= 3) v.array("Members", members);
  }
  friend bool operator==(const LeaveGroupRequest&, const LeaveGroupRequest&) = default;
};

struct LeaveGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    int16_t error_code = 0;
    template <typename V>
    void visit(V& v) {
      v.str("MemberId", member_id);
      v.nstr("GroupInstanceId", group_instance_id);
      v.i16("ErrorCode", error_code);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Member> members;  // v3+

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.i16("ErrorCode", error_code);
    if (v.version() >= 3) v.array("Members", members);
  }
  friend bool operator==(const LeaveGroupResponse&, const LeaveGroupResponse&) = default;
};

}  // namespace velocity::protocol
