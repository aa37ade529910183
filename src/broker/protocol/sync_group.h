// SyncGroup (key 14), versions 0-3, none flexible. Assignments are opaque
// ConsumerProtocolAssignment blobs (consumer_protocol.h). Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct SyncGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  struct Assignment {
    std::string member_id;
    Bytes assignment;
    template <typename V>
    void visit(V& v) {
      v.str("MemberId", member_id);
      v.bytes("Assignment", assignment);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };
  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<Assignment> assignments;  // only the leader sends them

  template <typename V>
  void visit(V& v) {
    v.str("GroupId", group_id);
    v.i32("GenerationId", generation_id);
    v.str("MemberId", member_id);
    if (v.version() >= 3) v.nstr("GroupInstanceId", group_instance_id);
    v.array("Assignments", assignments);
  }
  friend bool operator==(const SyncGroupRequest&, const SyncGroupRequest&) = default;
};

struct SyncGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  Bytes assignment;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.i16("ErrorCode", error_code);
    v.bytes("Assignment", assignment);
  }
  friend bool operator==(const SyncGroupResponse&, const SyncGroupResponse&) = default;
};

}  // namespace velocity::protocol
