// The Kafka code for a failed topic operation (create, delete, grow), shared by the topic
// admin handlers.
#pragma once

#include "broker/protocol/error_code.h"
#include "common/result.h"

namespace velocity::broker {

inline protocol::KafkaError topic_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::kAlreadyExists: return protocol::KafkaError::kTopicAlreadyExists;
    case ErrorCode::kNotFound: return protocol::KafkaError::kUnknownTopicOrPartition;
    default: return protocol::to_kafka_error(error);
  }
}

}  // namespace velocity::broker
