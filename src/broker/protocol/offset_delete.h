// OffsetDelete (key 47), version 0, not flexible: drops a group's committed offsets for some
// partitions. Layout per Kafka's OffsetDelete{Request,Response}.json. Plain data; thread-safe
// as values are.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct OffsetDeleteRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetDelete;
  struct Partition {
    int32_t partition_index = 0;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.array("Partitions", partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  std::string group_id;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v.str("GroupId", group_id);
    v.array("Topics", topics);
  }
  friend bool operator==(const OffsetDeleteRequest&, const OffsetDeleteRequest&) = default;
};

struct OffsetDeleteResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetDelete;
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.i16("ErrorCode", error_code);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.array("Partitions", partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  int16_t error_code = 0;
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v.i16("ErrorCode", error_code);
    v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Topics", topics);
  }
  friend bool operator==(const OffsetDeleteResponse&, const OffsetDeleteResponse&) = default;
};

}  // namespace velocity::protocol
