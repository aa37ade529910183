// ListOffsets (key 2), versions 1-3, none flexible (v0's OldStyleOffsets is not spoken).
// Timestamp -1 = latest, -2 = earliest. Plain data; thread-safe as values are.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct ListOffsetsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  struct Partition {
    int32_t partition_index = 0;
    int64_t timestamp = 0;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.i64("Timestamp", timestamp);
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
  int32_t replica_id = -1;
  int8_t isolation_level = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v.i32("ReplicaId", replica_id);
    if (v.version() >= 2) v.i8("IsolationLevel", isolation_level);
    v.array("Topics", topics);
  }
  friend bool operator==(const ListOffsetsRequest&, const ListOffsetsRequest&) = default;
};

struct ListOffsetsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t timestamp = -1;
    int64_t offset = -1;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.i16("ErrorCode", error_code);
      v.i64("Timestamp", timestamp);
      v.i64("Offset", offset);
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
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 2) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Topics", topics);
  }
  friend bool operator==(const ListOffsetsResponse&, const ListOffsetsResponse&) = default;
};

}  // namespace velocity::protocol
