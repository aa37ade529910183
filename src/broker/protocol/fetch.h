// Fetch (key 1), versions 4-11, none flexible; sessionless (SessionId 0) is all we serve.
// A response's Records may be a FileRange: the encoder then emits the length prefix and
// leaves the bytes to the sender (Writer::segments). Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct FetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  struct Partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;
    int64_t fetch_offset = 0;
    int64_t log_start_offset = -1;
    int32_t partition_max_bytes = 0;
    template <typename V>
    void visit(V& v) {
      v.i32("Partition", partition);
      if (v.version() >= 9) v.i32("CurrentLeaderEpoch", current_leader_epoch);
      v.i64("FetchOffset", fetch_offset);
      if (v.version() >= 5) v.i64("LogStartOffset", log_start_offset);
      v.i32("PartitionMaxBytes", partition_max_bytes);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <typename V>
    void visit(V& v) {
      v.str("Topic", topic);
      v.array("Partitions", partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  struct ForgottenTopic {
    std::string topic;
    std::vector<int32_t> partitions;
    template <typename V>
    void visit(V& v) {
      v.str("Topic", topic);
      v.array("Partitions", partitions);
    }
    friend bool operator==(const ForgottenTopic&, const ForgottenTopic&) = default;
  };
  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = 0x7fffffff;
  int8_t isolation_level = 0;
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  std::vector<Topic> topics;
  std::vector<ForgottenTopic> forgotten_topics_data;
  std::string rack_id;

  template <typename V>
  void visit(V& v) {
    v.i32("ReplicaId", replica_id);
    v.i32("MaxWaitMs", max_wait_ms);
    v.i32("MinBytes", min_bytes);
    if (v.version() >= 3) v.i32("MaxBytes", max_bytes);
    if (v.version() >= 4) v.i8("IsolationLevel", isolation_level);
    if (v.version() >= 7) {
      v.i32("SessionId", session_id);
      v.i32("SessionEpoch", session_epoch);
    }
    v.array("Topics", topics);
    if (v.version() >= 7) v.array("ForgottenTopicsData", forgotten_topics_data);
    if (v.version() >= 11) v.str("RackId", rack_id);
  }
  friend bool operator==(const FetchRequest&, const FetchRequest&) = default;
};

struct FetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  struct AbortedTransaction {
    int64_t producer_id = 0;
    int64_t first_offset = 0;
    template <typename V>
    void visit(V& v) {
      v.i64("ProducerId", producer_id);
      v.i64("FirstOffset", first_offset);
    }
    friend bool operator==(const AbortedTransaction&, const AbortedTransaction&) = default;
  };
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t high_watermark = 0;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
    std::optional<std::vector<AbortedTransaction>> aborted_transactions;
    int32_t preferred_read_replica = -1;
    // Never null in what we send: librdkafka rejects a null Records (docs/protocol.md).
    Records records;
    template <typename V>
    void visit(V& v) {
      v.i32("PartitionIndex", partition_index);
      v.i16("ErrorCode", error_code);
      v.i64("HighWatermark", high_watermark);
      if (v.version() >= 4) {
        v.i64("LastStableOffset", last_stable_offset);
        if (v.version() >= 5) v.i64("LogStartOffset", log_start_offset);
        v.narray("AbortedTransactions", aborted_transactions);
      }
      if (v.version() >= 11) v.i32("PreferredReadReplica", preferred_read_replica);
      v.records("Records", records);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    template <typename V>
    void visit(V& v) {
      v.str("Topic", topic);
      v.array("Partitions", partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t session_id = 0;
  std::vector<Topic> responses;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 1) v.i32("ThrottleTimeMs", throttle_time_ms);
    if (v.version() >= 7) {
      v.i16("ErrorCode", error_code);
      v.i32("SessionId", session_id);
    }
    v.array("Responses", responses);
  }
  friend bool operator==(const FetchResponse&, const FetchResponse&) = default;
};

}  // namespace velocity::protocol
