// CreatePartitions (key 37), versions 0-1, none flexible. Every topic asked about must get a
// result entry (librdkafka waits for them). Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct CreatePartitionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  struct Assignment {
    std::vector<int32_t> broker_ids;
    template <typename V>
    void visit(V& v) {
      v.array("BrokerIds", broker_ids);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };
  struct Topic {
    std::string name;
    int32_t count = 0;
    std::optional<std::vector<Assignment>> assignments;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.i32("Count", count);
      v.narray("Assignments", assignments);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  template <typename V>
  void visit(V& v) {
    v.array("Topics", topics);
    v.i32("TimeoutMs", timeout_ms);
    v.boolean("ValidateOnly", validate_only);
  }
  friend bool operator==(const CreatePartitionsRequest&, const CreatePartitionsRequest&) = default;
};

struct CreatePartitionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  struct TopicResult {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.i16("ErrorCode", error_code);
      v.nstr("ErrorMessage", error_message);
    }
    friend bool operator==(const TopicResult&, const TopicResult&) = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<TopicResult> results;

  template <typename V>
  void visit(V& v) {
    v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Results", results);
  }
  friend bool operator==(const CreatePartitionsResponse&, const CreatePartitionsResponse&) = default;
};

}  // namespace velocity::protocol
