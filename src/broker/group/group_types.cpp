#include "broker/group/group_types.h"

namespace velocity::group {

std::string_view to_string(GroupError error) {
  switch (error) {
    case GroupError::kNone:
      return "none";
    case GroupError::kUnknownMemberId:
      return "unknown member id";
    case GroupError::kIllegalGeneration:
      return "illegal generation";
    case GroupError::kRebalanceInProgress:
      return "rebalance in progress";
    case GroupError::kInconsistentGroupProtocol:
      return "inconsistent group protocol";
    case GroupError::kInvalidSessionTimeout:
      return "invalid session timeout";
    case GroupError::kMemberIdRequired:
      return "member id required";
    case GroupError::kInvalidGroupId:
      return "invalid group id";
    case GroupError::kGroupIdNotFound:
      return "group id not found";
    case GroupError::kNonEmptyGroup:
      return "non-empty group";
    case GroupError::kGroupSubscribedToTopic:
      return "group subscribed to topic";
    case GroupError::kOffsetMetadataTooLarge:
      return "offset metadata too large";
    case GroupError::kCoordinatorLoadInProgress:
      return "coordinator load in progress";
    case GroupError::kCoordinatorNotAvailable:
      return "coordinator not available";
  }
  return "unknown group error";
}

std::string_view kafka_name(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

}  // namespace velocity::group
