// DeleteRecords (key 21), versions 0-1, none flexible: moves a partition's log start offset
// forward. Plain data; thread-safe as values are.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct DeleteRecordsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteRecords;
  struct Partition {
    int32_t partition_index = 0;
    int64_t offset = 0;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
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
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;

  template <typename V>
  void visit(V& v) {
    v.array("Topics", topics);
    v.i32("TimeoutMs", timeout_ms);
  }
  friend bool operator==(const DeleteRecordsRequest&, const DeleteRecordsRequest&) = default;
};

struct DeleteRecordsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteRecords;
  struct Partition {
    int32_t partition_index = 0;
    int64_t low_watermark = 0;
    int16_t error_code = 0;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.i64("LowWatermark", low_watermark);
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
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Topics", topics);
  }
  friend bool operator==(const DeleteRecordsResponse&, const DeleteRecordsResponse&) = default;
};

}  // namespace velocity::protocol
