// DeleteTopics (key 20), versions 0-3, none flexible. Plain data; thread-safe as values are.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct DeleteTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  std::vector<std::string> topic_names;
  int32_t timeout_ms = 0;

  template <typename V>
  void visit(V& v) {
    v.array("TopicNames", topic_names);
    v.i32("TimeoutMs", timeout_ms);
  }
  friend bool operator==(const DeleteTopicsRequest&, const DeleteTopicsRequest&) = default;
};

struct DeleteTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  struct TopicResult {
    std::string name;
    int16_t error_code = 0;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.i16("ErrorCode", error_code);
    }
    friend bool operator==(const TopicResult&, const TopicResult&) = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<TopicResult> responses;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Responses", responses);
  }
  friend bool operator==(const DeleteTopicsResponse&, const DeleteTopicsResponse&) = default;
};

}  // namespace velocity::protocol
