// FindCoordinator (key 10), versions 0-2, none flexible. v0 must stay advertised: librdkafka
// 2.0.2 enables its group coordinator only if it is. Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct FindCoordinatorRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  std::string key;
  int8_t key_type = 0;  // 0 group, 1 transaction

  template <typename V>
  void visit(V& v) {
    v.str("Key", key);
    if (v.version() >= 1) v.i8("KeyType", key_type);
  }
  friend bool operator==(const FindCoordinatorRequest&, const FindCoordinatorRequest&) = default;
};

struct FindCoordinatorResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int32_t node_id = 0;
  std::string host;
  int32_t port = 0;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.i16("ErrorCode", error_code);
    if (v.version() >= 1) v.nstr("ErrorMessage", error_message);
    v.i32("NodeId", node_id);
    v.str("Host", host);
    v.i32("Port", port);
  }
  friend bool operator==(const FindCoordinatorResponse&, const FindCoordinatorResponse&) = default;
};

}  // namespace velocity::protocol
