// Kafka error codes (the int16 ErrorCode fields on the wire) and the one mapping from our
// internal velocity::ErrorCode to them. Kafka codes exist only in this folder; handlers pick a
// more specific code when they know better (e.g. GROUP_ID_NOT_FOUND). Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace velocity::protocol {

enum class KafkaError : int16_t {
  kUnknownServerError = -1,
  kNone = 0,
  kOffsetOutOfRange = 1,
  kCorruptMessage = 2,
  kUnknownTopicOrPartition = 3,
  kLeaderNotAvailable = 5,
  kNotLeaderOrFollower = 6,
  kRequestTimedOut = 7,
  kMessageTooLarge = 10,
  kCoordinatorLoadInProgress = 14,
  kCoordinatorNotAvailable = 15,
  kNotCoordinator = 16,
  kInvalidTopicException = 17,
  kInvalidRequiredAcks = 21,
  kIllegalGeneration = 22,
  kInconsistentGroupProtocol = 23,
  kInvalidGroupId = 24,
  kUnknownMemberId = 25,
  kInvalidSessionTimeout = 26,
  kRebalanceInProgress = 27,
  kInvalidCommitOffsetSize = 28,
  kUnsupportedSaslMechanism = 33,
  kIllegalSaslState = 34,
  kUnsupportedVersion = 35,
  kTopicAlreadyExists = 36,
  kInvalidPartitions = 37,
  kInvalidReplicationFactor = 38,
  kInvalidReplicaAssignment = 39,
  kInvalidConfig = 40,
  kNotController = 41,
  kInvalidRequest = 42,
  kUnsupportedForMessageFormat = 43,
  kOutOfOrderSequenceNumber = 45,
  kDuplicateSequenceNumber = 46,
  kInvalidProducerEpoch = 47,
  kKafkaStorageError = 56,
  kSaslAuthenticationFailed = 58,
  kUnknownProducerId = 59,
  kNonEmptyGroup = 68,
  kGroupIdNotFound = 69,
  kUnsupportedCompressionType = 76,
  kMemberIdRequired = 79,
  kGroupMaxSizeReached = 81,
  kFencedInstanceId = 82,
  kInvalidRecord = 87,
};

// The value written into a response's ErrorCode field.
constexpr int16_t wire(KafkaError e) { return static_cast<int16_t>(e); }

// Kafka's upper-case name ("UNKNOWN_TOPIC_OR_PARTITION"), for logs.
std::string_view kafka_error_name(KafkaError e);

// The default Kafka code for an internal failure. Total over ErrorCode.
KafkaError to_kafka_error(ErrorCode code);

inline KafkaError to_kafka_error(const Error& error) { return to_kafka_error(error.code); }

}  // namespace velocity::protocol
