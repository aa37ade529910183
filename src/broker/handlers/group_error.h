// The one mapping from the group coordinator's answers (group::GroupError) to the Kafka error
// codes the group handlers write on the wire. Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "broker/group/group_types.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {

// Total over GroupError.
protocol::KafkaError to_kafka_error(group::GroupError error);

// The int16 written into a response's ErrorCode field.
inline int16_t wire_error(group::GroupError error) { return protocol::wire(to_kafka_error(error)); }

}  // namespace velocity::broker
