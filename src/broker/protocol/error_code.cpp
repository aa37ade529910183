#include "broker/protocol/error_code.h"

namespace velocity::protocol {

std::string_view kafka_error_name(KafkaError e) {
  switch (e) {
    case KafkaError::kUnknownServerError: return "UNKNOWN_SERVER_ERROR";
    case KafkaError::kNone: return "NONE";
    case KafkaError::kOffsetOutOfRange: return "OFFSET_OUT_OF_RANGE";
    case KafkaError::kCorruptMessage: return "CORRUPT_MESSAGE";
    case KafkaError::kUnknownTopicOrPartition: return "UNKNOWN_TOPIC_OR_PARTITION";
    case KafkaError::kLeaderNotAvailable: return "LEADER_NOT_AVAILABLE";
    case KafkaError::kNotLeaderOrFollower: return "NOT_LEADER_OR_FOLLOWER";
    case KafkaError::kRequestTimedOut: return "REQUEST_TIMED_OUT";
    case KafkaError::kMessageTooLarge: return "MESSAGE_TOO_LARGE";
    case KafkaError::kCoordinatorLoadInProgress: return "COORDINATOR_LOAD_IN_PROGRESS";
    case KafkaError::kCoordinatorNotAvailable: return "COORDINATOR_NOT_AVAILABLE";
    case KafkaError::kNotCoordinator: return "NOT_COORDINATOR";
    case KafkaError::kInvalidTopicException: return "INVALID_TOPIC_EXCEPTION";
    case KafkaError::kInvalidRequiredAcks: return "INVALID_REQUIRED_ACKS";
    case KafkaError::kIllegalGeneration: return "ILLEGAL_GENERATION";
    case KafkaError::kInconsistentGroupProtocol: return "INCONSISTENT_GROUP_PROTOCOL";
    case KafkaError::kInvalidGroupId: return "INVALID_GROUP_ID";
    case KafkaError::kUnknownMemberId: return "UNKNOWN_MEMBER_ID";
    case KafkaError::kInvalidSessionTimeout: return "INVALID_SESSION_TIMEOUT";
    case KafkaError::kRebalanceInProgress: return "REBALANCE_IN_PROGRESS";
    case KafkaError::kInvalidCommitOffsetSize: return "INVALID_COMMIT_OFFSET_SIZE";
    case KafkaError::kUnsupportedSaslMechanism: return "UNSUPPORTED_SASL_MECHANISM";
    case KafkaError::kIllegalSaslState: return "ILLEGAL_SASL_STATE";
    case KafkaError::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case KafkaError::kTopicAlreadyExists: return "TOPIC_ALREADY_EXISTS";
    case KafkaError::kInvalidPartitions: return "INVALID_PARTITIONS";
    case KafkaError::kInvalidReplicationFactor: return "INVALID_REPLICATION_FACTOR";
    case KafkaError::kInvalidReplicaAssignment: return "INVALID_REPLICA_ASSIGNMENT";
    case KafkaError::kInvalidConfig: return "INVALID_CONFIG";
    case KafkaError::kNotController: return "NOT_CONTROLLER";
    case KafkaError::kInvalidRequest: return "INVALID_REQUEST";
    case KafkaError::kUnsupportedForMessageFormat: return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case KafkaError::kOutOfOrderSequenceNumber: return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case KafkaError::kDuplicateSequenceNumber: return "DUPLICATE_SEQUENCE_NUMBER";
    case KafkaError::kInvalidProducerEpoch: return "INVALID_PRODUCER_EPOCH";
    case KafkaError::kKafkaStorageError: return "KAFKA_STORAGE_ERROR";
    case KafkaError::kSaslAuthenticationFailed: return "SASL_AUTHENTICATION_FAILED";
    case KafkaError::kUnknownProducerId: return "UNKNOWN_PRODUCER_ID";
    case KafkaError::kNonEmptyGroup: return "NON_EMPTY_GROUP";
    case KafkaError::kGroupIdNotFound: return "GROUP_ID_NOT_FOUND";
    case KafkaError::kUnsupportedCompressionType: return "UNSUPPORTED_COMPRESSION_TYPE";
    case KafkaError::kMemberIdRequired: return "MEMBER_ID_REQUIRED";
    case KafkaError::kGroupMaxSizeReached: return "GROUP_MAX_SIZE_REACHED";
    case KafkaError::kFencedInstanceId: return "FENCED_INSTANCE_ID";
    case KafkaError::kInvalidRecord: return "INVALID_RECORD";
  }
  return "UNKNOWN_ERROR_CODE";
}

KafkaError to_kafka_error(ErrorCode code) {
  switch (code) {
    // A request that can never succeed as sent.
    case ErrorCode::kInvalidArgument: return KafkaError::kInvalidRequest;
    // Bytes that failed a length or CRC check: for Produce that is the batch the client sent.
    case ErrorCode::kCorrupt: return KafkaError::kCorruptMessage;
    case ErrorCode::kNotFound: return KafkaError::kUnknownTopicOrPartition;
    case ErrorCode::kAlreadyExists: return KafkaError::kTopicAlreadyExists;
    case ErrorCode::kOutOfRange: return KafkaError::kOffsetOutOfRange;
    // A disk failure or a log fenced after one: clients treat 56 as retriable elsewhere.
    case ErrorCode::kIo: return KafkaError::kKafkaStorageError;
    case ErrorCode::kFenced: return KafkaError::kKafkaStorageError;
    // What we deliberately refuse is, in practice, an old record format (magic < 2).
    case ErrorCode::kUnsupported: return KafkaError::kUnsupportedForMessageFormat;
    case ErrorCode::kTooLarge: return KafkaError::kMessageTooLarge;
    case ErrorCode::kTimeout: return KafkaError::kRequestTimedOut;
    // A partition or log closed under the request (shutdown, deletion): nothing more precise
    // exists for a single node, and clients retry UNKNOWN_SERVER_ERROR after a metadata refresh.
    case ErrorCode::kClosed: return KafkaError::kUnknownServerError;
    case ErrorCode::kInternal: return KafkaError::kUnknownServerError;
  }
  return KafkaError::kUnknownServerError;
}

}  // namespace velocity::protocol
