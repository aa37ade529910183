// The consumer group protocol's opaque blobs: ConsumerProtocolSubscription (JoinGroup
// protocol metadata) and ConsumerProtocolAssignment (SyncGroup assignment), versions 0-3,
// each prefixed by its int16 version. The broker never needs them to run a group; it decodes
// them to show members' subscriptions and assignments. Plain data; thread-safe as values are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol {

struct ConsumerTopicPartitions {
  std::string topic;
  std::vector<int32_t> partitions;
  template <typename V>
  void visit(V& v) {
    v.str("Topic", topic);
    v.array("Partitions", partitions);
  }
  friend bool operator==(const ConsumerTopicPartitions&, const ConsumerTopicPartitions&) = default;
};

struct ConsumerProtocolSubscription {
  int16_t version = 0;  // as found in the blob; fields beyond v3 are not read
  std::vector<std::string> topics;
  std::optional<Bytes> user_data;
  std::vector<ConsumerTopicPartitions> owned_partitions;
  int32_t generation_id = -1;
  std::optional<std::string> rack_id;

  template <typename V>
  void visit(V& v) {
    v.array("Topics", topics);
    v.nbytes("UserData", user_data);
    if (v.version() >= 1) v.array("OwnedPartitions", owned_partitions);
    if (v.version() >= 2) v.i32("GenerationId", generation_id);
    if (v.version() >= 3) v.nstr("RackId", rack_id);
  }
  friend bool operator==(const ConsumerProtocolSubscription&, const ConsumerProtocolSubscription&) = default;
};

struct ConsumerProtocolAssignment {
  int16_t version = 0;
  std::vector<ConsumerTopicPartitions> assigned_partitions;
  std::optional<Bytes> user_data;

  template <typename V>
  void visit(V& v) {
    v.array("AssignedPartitions", assigned_partitions);
    v.nbytes("UserData", user_data);
  }
  friend bool operator==(const ConsumerProtocolAssignment&, const ConsumerProtocolAssignment&) = default;
};

// Decoding reads the fields of min(version, 3) and ignores what follows: a newer client's
// blob carries our fields first, then its additions (Kafka reads them the same way).
Result<ConsumerProtocolSubscription> decode_subscription(ByteView blob);
Result<ConsumerProtocolAssignment> decode_assignment(ByteView blob);
// Encodes with the struct's version (0-3).
Result<Bytes> encode_subscription(const ConsumerProtocolSubscription& subscription);
Result<Bytes> encode_assignment(const ConsumerProtocolAssignment& assignment);

}  // namespace velocity::protocol
