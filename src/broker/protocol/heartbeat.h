// Heartbeat (key 12), versions 0-3, none flexible. Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct HeartbeatRequest {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;

  template <typename V>
  void visit(V& v) {
    v.str("GroupId", group_id);
    v.i32("GenerationId", generation_id);
    v.str("MemberId", member_id);
    if (v.version() >= 3) v.nstr("GroupInstanceId", group_instance_id);
  }
  friend bool operator==(const HeartbeatRequest&, const HeartbeatRequest&) = default;
};

struct HeartbeatResponse {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.i16("ErrorCode", error_code);
  }
  friend bool operator==(const HeartbeatResponse&, const HeartbeatResponse&) = default;
};

}  // namespace velocity::protocol
