// CreateTopics (key 19), versions 0-4, none flexible. v4 allows NumPartitions and
// ReplicationFactor = -1 (broker default). Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct CreateTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  struct Assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.array("BrokerIds", broker_ids);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.nstr("Value", value);
    }
    friend bool operator==(const Config&, const Config&) = default;
  };
  struct Topic {
    std::string name;
    int32_t num_partitions = 0;
    int16_t replication_factor = 0;
    std::vector<Assignment> assignments;
    std::vector<Config> configs;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.i32("NumPartitions", num_partitions);
      v.i16("ReplicationFactor", replication_factor);
      v.array("Assignments", assignments);
      v.array("Configs", configs);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;

  template <typename V>
  void visit(V& v) {
    v.array("Topics", topics);
    v.i32("timeoutMs", timeout_ms);
    if (v.version() >= 1) v.boolean("validateOnly", validate_only);
  }
  friend bool operator==(const CreateTopicsRequest&, const CreateTopicsRequest&) = default;
};

struct CreateTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  struct Topic {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.i16("ErrorCode", error_code);
      if (v.version() >= 1) v.nstr("ErrorMessage", error_message);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 2) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Topics", topics);
  }
  friend bool operator==(const CreateTopicsResponse&, const CreateTopicsResponse&) = default;
};

}  // namespace velocity::protocol
