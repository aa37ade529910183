// Produce (key 0), versions 3-7 (record batch v2 only), none flexible. Records are views
// into the request frame, never copied. acks = 0 requests get no response at all.
// Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct ProduceRequest {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  struct Partition {
    int32_t index = 0;
    Records records;
    template <typename V>
    void visit(V& v) {
      v.i32("Index", index);
      v.records("Records", records);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partition_data;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.array("PartitionData", partition_data);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  std::optional<std::string> transactional_id;
  int16_t acks = 0;
  int32_t timeout_ms = 0;
  std::vector<Topic> topic_data;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 3) v.nstr("TransactionalId", transactional_id);
    v.i16("Acks", acks);
    v.i32("TimeoutMs", timeout_ms);
    v.array("TopicData", topic_data);
  }
  friend bool operator==(const ProduceRequest&, const ProduceRequest&) = default;
};

struct ProduceResponse {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t base_offset = 0;
    int64_t log_append_time_ms = -1;
    int64_t log_start_offset = -1;
    template <typename V>
    void visit(V& v) {
      v.i32("Index", index);
      v.i16("ErrorCode", error_code);
      v.i64("BaseOffset", base_offset);
      if (v.version() >= 2) v.i64("LogAppendTimeMs", log_append_time_ms);
      if (v.version() >= 5) v.i64("LogStartOffset", log_start_offset);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partition_responses;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.array("PartitionResponses", partition_responses);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  std::vector<Topic> responses;
  int32_t throttle_time_ms = 0;

  template <typename V>
  void visit(V& v) {
    v.array("Responses", responses);
    // After the topics in this response, unlike most others.
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
  }
  friend bool operator==(const ProduceResponse&, const ProduceResponse&) = default;
};

}  // namespace velocity::protocol
