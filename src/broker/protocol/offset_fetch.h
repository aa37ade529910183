// OffsetFetch (key 9), versions 1-5, none flexible. v2+ Topics = null asks for every
// committed partition of the group. Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct OffsetFetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
      v.array("PartitionIndexes", partition_indexes);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  std::string group_id;
  std::optional<std::vector<Topic>> topics = std::vector<Topic>{};

  template <typename V>
  void visit(V& v) {
    v.str("GroupId", group_id);
    v.narray("Topics", topics, v.version() >= 2);
  }
  friend bool operator==(const OffsetFetchRequest&, const OffsetFetchRequest&) = default;
};

struct OffsetFetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;
    std::optional<std::string> metadata;
    int16_t error_code = 0;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.i64("CommittedOffset", committed_offset);
      if (v.version() >= 5) v.i32("CommittedLeaderEpoch", committed_leader_epoch);
      v.nstr("Metadata", metadata);
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
  int16_t error_code = 0;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 3) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Topics", topics);
    if (v.version() >= 2) v.i16("ErrorCode", error_code);
  }
  friend bool operator==(const OffsetFetchResponse&, const OffsetFetchResponse&) = default;
};

}  // namespace velocity::protocol
