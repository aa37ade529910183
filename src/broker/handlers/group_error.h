// The one mapping from the group coordinator's answers (group::GroupError) to the Kafka error
// codes the group handlers write on the wire. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "broker/group/group_types.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {

// Total over GroupError.
protocol::KafkaError to_kafka_error(group::GroupError error);

// The int16 written into a response's ErrorCode field.
inline int16_t wire_error(group::GroupError error) { return protocol::wire(to_kafka_error(error)); }

// The answer of every group API while the broker has no coordinator (its offsets store
// could not be opened).
inline int16_t coordinator_not_available() {
  return protocol::wire(protocol::KafkaError::kCoordinatorNotAvailable);
}

// Appends a partition entry to the response topic named `topic`, creating the topic entry on
// first use, so an answer keeps the order in which topics were first seen (OffsetFetch,
// OffsetDelete: the coordinator works on flat partition lists).
template <typename Topics>
auto& partition_entry(Topics& topics, std::map<std::string, size_t>& index, const std::string& topic) {
  auto [it, inserted] = index.try_emplace(topic, topics.size());
  if (inserted) topics.emplace_back().name = topic;
  return topics[it->second].partitions.emplace_back();
}

}  // namespace velocity::broker
