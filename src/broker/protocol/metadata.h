// Metadata (key 3), versions 0-8, none flexible. Request Topics: v0 empty = all topics;
// v1+ null = all topics, empty = none. Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct MetadataRequest {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  struct Topic {
    std::string name;
    template <typename V>
    void visit(V& v) {
      v.str("Name", name);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  std::optional<std::vector<Topic>> topics = std::vector<Topic>{};
  bool allow_auto_topic_creation = true;
  bool include_cluster_authorized_operations = false;
  bool include_topic_authorized_operations = false;

  template <typename V>
  void visit(V& v) {
    v.narray("Topics", topics, v.version() >= 1);
    if (v.version() >= 4) v.boolean("AllowAutoTopicCreation", allow_auto_topic_creation);
    if (v.version() >= 8) {
      v.boolean("IncludeClusterAuthorizedOperations", include_cluster_authorized_operations);
      v.boolean("IncludeTopicAuthorizedOperations", include_topic_authorized_operations);
    }
  }
  friend bool operator==(const MetadataRequest&, const MetadataRequest&) = default;
};

struct MetadataResponse {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  struct Broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
    template <typename V>
    void visit(V& v) {
      v.i32("NodeId", node_id);
      v.str("Host", host);
      v.i32("Port", port);
      if (v.version() >= 1) v.nstr("Rack", rack);
    }
    friend bool operator==(const Broker&, const Broker&) = default;
  };
  struct Partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = 0;
    int32_t leader_epoch = -1;
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;
    template <typename V>
    void visit(V& v) {
      v.i16("ErrorCode", error_code);
      v.i32("PartitionIndex", partition_index);
      v.i32("LeaderId", leader_id);
      if (v.version() >= 7) v.i32("LeaderEpoch", leader_epoch);
      v.array("ReplicaNodes", replica_nodes);
      v.array("IsrNodes", isr_nodes);
      if (v.version() >= 5) v.array("OfflineReplicas", offline_replicas);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    int16_t error_code = 0;
    std::string name;
    bool is_internal = false;
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = INT32_MIN;
    template <typename V>
    void visit(V& v) {
      v.i16("ErrorCode", error_code);
      v.str("Name", name);
      if (v.version() >= 1) v.boolean("IsInternal", is_internal);
      v.array("Partitions", partitions);
      if (v.version() >= 8) v.i32("TopicAuthorizedOperations", topic_authorized_operations);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<Topic> topics;
  int32_t cluster_authorized_operations = INT32_MIN;

  template <typename V>
  void visit(V& v) {
    if (v.version() >= 3) v.i32("ThrottleTimeMs", throttle_time_ms);
    v.array("Brokers", brokers);
    if (v.version() >= 2) v.nstr("ClusterId", cluster_id);
    if (v.version() >= 1) v.i32("ControllerId", controller_id);
    v.array("Topics", topics);
    if (v.version() >= 8) v.i32("ClusterAuthorizedOperations", cluster_authorized_operations);
  }
  friend bool operator==(const MetadataResponse&, const MetadataResponse&) = default;
};

}  // namespace velocity::protocol
