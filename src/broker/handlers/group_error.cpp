#include "broker/handlers/group_error.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

KafkaError to_kafka_error(GroupError error) {
  switch (error) {
    case GroupError::kNone: return KafkaError::kNone;
    case GroupError::kUnknownMemberId: return KafkaError::kUnknownMemberId;
    case GroupError::kIllegalGeneration: return KafkaError::kIllegalGeneration;
    case GroupError::kRebalanceInProgress: return KafkaError::kRebalanceInProgress;
    case GroupError::kInconsistentGroupProtocol: return KafkaError::kInconsistentGroupProtocol;
    case GroupError::kInvalidSessionTimeout: return KafkaError::kInvalidSessionTimeout;
    case GroupError::kMemberIdRequired: return KafkaError::kMemberIdRequired;
    case GroupError::kInvalidGroupId: return KafkaError::kInvalidGroupId;
    case GroupError::kGroupIdNotFound: return KafkaError::kGroupIdNotFound;
    case GroupError::kNonEmptyGroup: return KafkaError::kNonEmptyGroup;
    // Kafka answers 86 GROUP_SUBSCRIBED_TO_TOPIC, which protocol/error_code.h does not define
    // yet. NON_EMPTY_GROUP carries the same meaning to a client (the group is still using
    // these offsets) and, like 86, is not retriable.
    case GroupError::kGroupSubscribedToTopic: return KafkaError::kNonEmptyGroup;
    // Kafka answers 12 OFFSET_METADATA_TOO_LARGE, not defined in protocol/error_code.h yet;
    // INVALID_COMMIT_OFFSET_SIZE is the other non-retriable "commit too large" answer.
    case GroupError::kOffsetMetadataTooLarge: return KafkaError::kInvalidCommitOffsetSize;
    case GroupError::kCoordinatorLoadInProgress: return KafkaError::kCoordinatorLoadInProgress;
    case GroupError::kCoordinatorNotAvailable: return KafkaError::kCoordinatorNotAvailable;
  }
  return KafkaError::kUnknownServerError;
}

}  // namespace velocity::broker
