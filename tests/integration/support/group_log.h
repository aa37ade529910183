// Reads what velocity-test-group-member processes wrote (one line per assignment, consumed
// message, commit; see tests/integration/group_member.cpp) and audits the whole group's
// delivery: what was consumed, what twice, and whether any redelivery contradicts a commit
// that had already been acknowledged. Pure functions over text; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace velocity::testing {

using PartitionOffset = std::pair<std::int32_t, std::int64_t>;

struct MemberEvent {
  enum class Kind { kAssigned, kRevoked, kConsumed, kCommitted, kCommitFailed };
  Kind kind = Kind::kConsumed;
  std::int64_t t_ns = 0;                // steady_clock, comparable across processes
  std::int32_t partition = -1;          // kConsumed, kCommitted
  std::int64_t offset = -1;             // kConsumed: the message; kCommitted: next to read
  std::vector<std::int32_t> partitions; // kAssigned
};

// Parses one member's stdout; a line cut short by a kill (no newline) is ignored.
std::vector<MemberEvent> parse_member_log(const std::string& text);

struct GroupAudit {
  std::set<PartitionOffset> consumed;         // distinct messages seen by any member
  std::size_t deliveries = 0;                 // consumed lines in total
  std::map<PartitionOffset, int> duplicates;  // message → times delivered beyond the first
  // Redeliveries of a message after a commit past it had been acknowledged: each a sentence.
  std::vector<std::string> violations;
  std::set<std::int32_t> violation_partitions;  // the partitions those sentences are about
  std::size_t failed_commits = 0;
};

// Audits the logs of all members of one group (index = member number in messages).
GroupAudit audit_group(const std::vector<std::vector<MemberEvent>>& members);

// For failure messages: every member's assignments, revocations, acknowledged and failed
// commits, and each consumed run that did not continue from the message before (a jump), of
// the given partitions, in time order, with times in ms relative to the first event.
std::string partition_history(const std::vector<std::vector<MemberEvent>>& members,
                              const std::set<std::int32_t>& partitions);

// The partitions of the member's last assignment that no revocation followed (empty if none).
std::vector<std::int32_t> last_assignment(const std::vector<MemberEvent>& events);

// The highest acknowledged commit (next offset) per partition in the member's log.
std::map<std::int32_t, std::int64_t> last_commits(const std::vector<MemberEvent>& events);

}  // namespace velocity::testing
