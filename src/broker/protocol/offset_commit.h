// OffsetCommit (key 8), versions 0-7, none flexible. GenerationIdOrMemberEpoch -1 with an
// empty MemberId is a "simple" commit outside group membership. Plain data; thread-safe as
// values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct OffsetCommitRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;
    int64_t commit_timestamp = -1;  // v1 only
    std::optional<std::string> committed_metadata;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.i64("CommittedOffset", committed_offset);
      if (v.version() >= 6) v.i32("CommittedLeaderEpoch", committed_leader_epoch);
      if (v.version() == 1) v.i64("CommitTimestamp", commit_timestamp);
      v.nstr("CommittedMetadata", committed_metadata);
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
  int32_t generation_id_or_member_epoch = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int64_t retention_time_ms = -1;  // v2-4
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v.str("GroupId", group_id);
    if (v.version() >= 1) {
      v.i32("GenerationIdOrMemberEpoch", generation_id_or_member_epoch);
      v.str("MemberId", member_id);
    }
    if (v.version() >= 7) v.nstr("GroupInstanceId", group_instance_id);
    if (v.version() >= 2 && v.version() <= 4) v.i64("RetentionTimeMs", retention_time_ms);
    v.array("Topics", topics);
  }
  friend bool operator==(const OffsetCommitRequest&, const OffsetCommitRequest&) = default;
};

struct OffsetCommitResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
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
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 3) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Topics", topics);
  }
  friend bool operator==(const OffsetCommitResponse&, const OffsetCommitResponse&) = default;
};

}  // namespace velocity::protocol
