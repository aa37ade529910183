// SyncGroup, Heartbeat, LeaveGroup and the timer of GroupCoordinator.
#include "broker/group/group_coordinator.h"
#include "common/log.h"

namespace velocity::group {
namespace {

SyncResult sync_error(GroupError error) {
  SyncResult r;
  r.error = error;
  return r;
}

}  // namespace

void GroupCoordinator::sync(SyncRequest request, SyncCompletion done) {
  auto answer_now = [&](SyncResult result) {
    defer([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    flush();
  };
  Group* group = find(request.group_id);
  if (group == nullptr) return answer_now(sync_error(GroupError::kUnknownMemberId));
  auto it = group->members.find(request.member_id);
  if (it == group->members.end()) return answer_now(sync_error(GroupError::kUnknownMemberId));
  if (request.generation_id != group->generation) {
    return answer_now(sync_error(GroupError::kIllegalGeneration));
  }
  if ((request.protocol_type && *request.protocol_type != group->protocol_type) ||
      (request.protocol_name && *request.protocol_name != group->protocol_name)) {
    return answer_now(sync_error(GroupError::kInconsistentGroupProtocol));
  }
  Member& member = it->second;
  member.last_seen_ms = clock_.now_ms();
  auto result_for = [&](const Member& m) {
    SyncResult r;
    r.protocol_type = group->protocol_type;
    r.protocol_name = group->protocol_name;
    r.assignment = m.assignment;
    return r;
  };
  switch (group->state) {
    case GroupState::kPreparingRebalance:
      return answer_now(sync_error(GroupError::kRebalanceInProgress));
    case GroupState::kStable:
      return answer_now(result_for(member));
    case GroupState::kEmpty:
    case GroupState::kDead:
      return answer_now(sync_error(GroupError::kUnknownMemberId));
    case GroupState::kCompletingRebalance:
      break;
  }
  if (member.pending_sync) {
    defer([old = std::move(member.pending_sync)]() {
      old(sync_error(GroupError::kRebalanceInProgress));
    });
  }
  member.pending_sync = std::move(done);
  if (member.member_id == group->leader_id) {
    // Followers wait for this event, never for a timer: answering them early with an empty
    // assignment makes clients consume nothing for a whole generation.
    for (MemberAssignment& a : request.assignments) {
      auto target = group->members.find(a.member_id);
      if (target != group->members.end()) target->second.assignment = std::move(a.assignment);
    }
    group->state = GroupState::kStable;
    for (auto& [id, m] : group->members) {
      if (!m.pending_sync) continue;
      defer([sync = std::move(m.pending_sync), result = result_for(m)]() mutable {
        sync(std::move(result));
      });
      m.pending_sync = nullptr;
    }
  }
  flush();
}

GroupError GroupCoordinator::heartbeat(const std::string& group_id, int32_t generation_id,
                                       const std::string& member_id) {
  Group* group = find(group_id);
  if (group == nullptr) return GroupError::kUnknownMemberId;
  auto it = group->members.find(member_id);
  if (it == group->members.end()) return GroupError::kUnknownMemberId;
  if (generation_id != group->generation) return GroupError::kIllegalGeneration;
  it->second.last_seen_ms = clock_.now_ms();
  // During PreparingRebalance the answer is the signal to rejoin.
  return group->state == GroupState::kPreparingRebalance ? GroupError::kRebalanceInProgress
                                                         : GroupError::kNone;
}

LeaveResult GroupCoordinator::leave(const std::string& group_id,
                                    const std::vector<std::string>& member_ids) {
  LeaveResult result;
  Group* group = find(group_id);
  for (const std::string& id : member_ids) {
    bool known = group != nullptr && group->members.contains(id);
    result.members.emplace_back(id, known ? GroupError::kNone : GroupError::kUnknownMemberId);
    if (known) remove_member(*group, id);
  }
  if (group != nullptr) after_members_removed(*group);
  flush();
  return result;
}

void GroupCoordinator::tick() {
  int64_t now = clock_.now_ms();
  for (auto& [group_id, group] : groups_) {
    std::erase_if(group.pending_member_ids, [&](const auto& entry) { return entry.second <= now; });
    std::vector<std::string> expired;
    for (const auto& [id, member] : group.members) {
      // A member whose JoinGroup or SyncGroup is parked is waiting on us, not silent.
      if (member.pending_join || member.pending_sync) continue;
      if (now - member.last_seen_ms >= member.session_timeout_ms) expired.push_back(id);
    }
    for (const std::string& id : expired) {
      log::info("group {}: member {} session expired", group_id, id);
      remove_member(group, id);
    }
    if (!expired.empty()) after_members_removed(group);
    maybe_complete_join(group);
  }
  // Groups that never reached a generation and hold nothing durable are forgotten.
  std::erase_if(groups_, [&](const auto& entry) {
    const Group& g = entry.second;
    return g.state == GroupState::kEmpty && g.members.empty() && g.pending_member_ids.empty() &&
           !store_.has_group(g.id);
  });
  flush();
}

std::optional<GroupState> GroupCoordinator::state_of(const std::string& group_id) const {
  const Group* group = find(group_id);
  if (group == nullptr) return std::nullopt;
  return group->state;
}

std::optional<int32_t> GroupCoordinator::generation_of(const std::string& group_id) const {
  const Group* group = find(group_id);
  if (group == nullptr) return std::nullopt;
  return group->generation;
}

}  // namespace velocity::group
