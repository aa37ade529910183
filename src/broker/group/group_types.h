// Plain value types of the consumer-group coordinator: its error enum, group states and the
// request/result structs of each group API. No wire encoding here; the protocol layer maps
// these to Kafka messages and GroupError to Kafka error codes. Values, thread-safe as such.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace velocity::group {

using Bytes = std::vector<std::byte>;

// One value per distinct answer a group API can give; the broker maps each to a Kafka code
// (named in the comment) in one place.
enum class GroupError {
  kNone,                       // 0 NONE
  kUnknownMemberId,            // 25 UNKNOWN_MEMBER_ID
  kIllegalGeneration,          // 22 ILLEGAL_GENERATION
  kRebalanceInProgress,        // 27 REBALANCE_IN_PROGRESS
  kInconsistentGroupProtocol,  // 23 INCONSISTENT_GROUP_PROTOCOL
  kInvalidSessionTimeout,      // 26 INVALID_SESSION_TIMEOUT
  kMemberIdRequired,           // 79 MEMBER_ID_REQUIRED
  kInvalidGroupId,             // 24 INVALID_GROUP_ID
  kGroupIdNotFound,            // 69 GROUP_ID_NOT_FOUND
  kNonEmptyGroup,              // 68 NON_EMPTY_GROUP
  kGroupSubscribedToTopic,     // 86 GROUP_SUBSCRIBED_TO_TOPIC
  kOffsetMetadataTooLarge,     // 12 OFFSET_METADATA_TOO_LARGE
  kCoordinatorLoadInProgress,  // 14 COORDINATOR_LOAD_IN_PROGRESS (broker still loading)
  kCoordinatorNotAvailable,    // 15 COORDINATOR_NOT_AVAILABLE (offsets store failed)
};

std::string_view to_string(GroupError error);

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// The state name exactly as Kafka spells it in DescribeGroups/ListGroups.
std::string_view kafka_name(GroupState state);

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// ---- JoinGroup -------------------------------------------------------------------------

struct ProtocolOffer {
  std::string name;  // e.g. "range"
  Bytes metadata;    // opaque (ConsumerProtocolSubscription for protocol type "consumer")
};

struct JoinRequest {
  std::string group_id;
  std::string member_id;                         // empty on a first join
  std::optional<std::string> group_instance_id;  // accepted, treated as dynamic membership
  std::string client_id;                         // from the request header
  std::string client_host;                       // peer address, shown by DescribeGroups
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;      // JoinGroup v0 has none: pass the session timeout
  std::string protocol_type;             // "consumer"
  std::vector<ProtocolOffer> protocols;  // in order of preference
  bool require_known_member_id = false;  // JoinGroup v4+: answer kMemberIdRequired first
};

struct JoinMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  Bytes metadata;  // this member's metadata for the chosen protocol
};

struct JoinResult {
  GroupError error = GroupError::kNone;
  int32_t generation_id = -1;
  std::string protocol_type;
  std::string protocol_name;
  std::string leader_id;
  std::string member_id;            // the caller's (possibly newly generated) member id
  std::vector<JoinMember> members;  // filled for the leader only
};

// ---- SyncGroup -------------------------------------------------------------------------

struct MemberAssignment {
  std::string member_id;
  Bytes assignment;
};

struct SyncRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;  // SyncGroup v5+, checked when present
  std::optional<std::string> protocol_name;
  std::vector<MemberAssignment> assignments;  // non-empty only from the leader
};

struct SyncResult {
  GroupError error = GroupError::kNone;
  std::string protocol_type;
  std::string protocol_name;
  Bytes assignment;
};

// Completions are invoked exactly once, on the thread that called the coordinator, from within
// the coordinator call (join, sync, leave, tick, ...) that decides the answer.
using JoinCompletion = std::function<void(JoinResult)>;
using SyncCompletion = std::function<void(SyncResult)>;

// ---- LeaveGroup ------------------------------------------------------------------------

struct LeaveResult {
  GroupError error = GroupError::kNone;                     // group-level (v3+ top-level ErrorCode)
  std::vector<std::pair<std::string, GroupError>> members;  // per member, request order
};

// ---- OffsetCommit / OffsetFetch / OffsetDelete ------------------------------------------

struct OffsetCommitPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;  // null and "" both round-trip as given
};

struct OffsetCommitRequest {
  std::string group_id;
  int32_t generation_id = -1;  // -1 with empty member id: a "simple" (non-member) commit
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<OffsetCommitPartition> partitions;
};

struct OffsetCommitResult {
  std::vector<GroupError> partition_errors;  // one per request partition, same order
};

using OffsetCommitCompletion = std::function<void(OffsetCommitResult)>;

struct FetchedOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;  // -1: nothing committed (client applies auto.offset.reset)
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  GroupError error = GroupError::kNone;
};

struct OffsetFetchResult {
  GroupError error = GroupError::kNone;
  std::vector<FetchedOffset> offsets;
};

struct OffsetDeleteResult {
  GroupError error = GroupError::kNone;  // group-level
  std::vector<std::pair<TopicPartition, GroupError>> partitions;
};

// ---- DescribeGroups / ListGroups / DeleteGroups -----------------------------------------

struct MemberDescription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;    // empty unless the group is Stable (as Kafka does)
  Bytes assignment;  // empty unless the group is Stable
};

struct GroupDescription {
  GroupError error = GroupError::kNone;
  std::string group_id;
  std::string state;  // kafka_name(); "Dead" for a group that does not exist
  std::string protocol_type;
  std::string protocol;  // empty unless Stable
  std::vector<MemberDescription> members;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};

struct GroupDeletion {
  std::string group_id;
  GroupError error = GroupError::kNone;
};

}  // namespace velocity::group
