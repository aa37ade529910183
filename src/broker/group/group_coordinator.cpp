// Membership half of GroupCoordinator: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the
// timer. The offsets and admin half is in group_coordinator_admin.cpp.
#include "broker/group/group_coordinator.h"

#include "common/log.h"

#include <algorithm>
#include <cstdio>

namespace velocity::group {
namespace {

JoinResult join_error(GroupError error, std::string member_id = {}) {
  JoinResult r;
  r.error = error;
  r.member_id = std::move(member_id);
  return r;
}

SyncResult sync_error(GroupError error) {
  SyncResult r;
  r.error = error;
  return r;
}

}  // namespace

GroupCoordinator::GroupCoordinator(const Clock& clock, OffsetStore& store,
                                   GroupCoordinatorOptions options)
    : clock_(clock), store_(store), options_(options), random_(std::random_device{}()) {
  for (const std::string& id : store_.groups()) {
    Group& group = groups_[id];
    group.id = id;
    if (auto metadata = store_.group_metadata(id)) {
      group.generation = metadata->generation;
      group.protocol_type = metadata->protocol_type;
    }
  }
}

Group* GroupCoordinator::find(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second;
}

const Group* GroupCoordinator::find(const std::string& group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second;
}

Group& GroupCoordinator::find_or_create(const std::string& group_id) {
  Group& group = groups_[group_id];
  group.id = group_id;
  return group;
}

std::string GroupCoordinator::new_member_id(const std::string& client_id) {
  // Kafka uses clientId + "-" + a random UUID; only uniqueness matters to clients.
  uint64_t hi = random_();
  uint64_t lo = random_();
  char uuid[40];
  std::snprintf(uuid, sizeof(uuid), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return client_id + "-" + uuid;
}

void GroupCoordinator::flush() {
  while (!deferred_.empty()) {
    std::vector<std::function<void()>> ready;
    ready.swap(deferred_);
    for (auto& completion : ready) completion();
  }
}

void GroupCoordinator::join(JoinRequest request, JoinCompletion done) {
  auto answer_now = [&](JoinResult result) {
    defer([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
    flush();
  };
  if (request.group_id.empty()) return answer_now(join_error(GroupError::kInvalidGroupId));
  if (request.session_timeout_ms < options_.min_session_timeout_ms ||
      request.session_timeout_ms > options_.max_session_timeout_ms) {
    return answer_now(join_error(GroupError::kInvalidSessionTimeout, request.member_id));
  }
  if (request.rebalance_timeout_ms <= 0) request.rebalance_timeout_ms = request.session_timeout_ms;
  if (request.protocol_type.empty() || request.protocols.empty()) {
    return answer_now(join_error(GroupError::kInconsistentGroupProtocol, request.member_id));
  }
  Group* existing = find(request.group_id);
  if (existing == nullptr && !request.member_id.empty()) {
    return answer_now(join_error(GroupError::kUnknownMemberId, request.member_id));
  }
  Group& group = existing != nullptr ? *existing : find_or_create(request.group_id);
  if (!group.members.empty() &&
      (request.protocol_type != group.protocol_type || !group.supports(request.protocols))) {
    return answer_now(join_error(GroupError::kInconsistentGroupProtocol, request.member_id));
  }

  if (request.member_id.empty()) {
    std::string member_id = new_member_id(request.client_id);
    if (request.require_known_member_id) {
      // KIP-394: hand out the id first, so a client that gives up before the real join
      // does not leave a ghost member behind.
      group.pending_member_ids[member_id] = clock_.now_ms() + request.session_timeout_ms;
      return answer_now(join_error(GroupError::kMemberIdRequired, member_id));
    }
    add_member_and_rebalance(group, member_id, request, std::move(done));
    return flush();
  }
  if (group.pending_member_ids.erase(request.member_id) > 0) {
    std::string member_id = request.member_id;
    add_member_and_rebalance(group, member_id, request, std::move(done));
    return flush();
  }
  auto it = group.members.find(request.member_id);
  if (it == group.members.end()) {
    return answer_now(join_error(GroupError::kUnknownMemberId, request.member_id));
  }
  Member& member = it->second;
  bool unchanged = member.offers_same_protocols(request.protocols);
  switch (group.state) {
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      // A rejoin that changes nothing gets the current generation back. In Stable the leader's
      // rejoin always rebalances: it may have seen a metadata change (e.g. new partitions).
      if (unchanged && (group.state == GroupState::kCompletingRebalance ||
                        member.member_id != group.leader_id)) {
        member.last_seen_ms = clock_.now_ms();
        return answer_now(join_result_for(group, member));
      }
      update_member_and_rebalance(group, member, request, std::move(done));
      break;
    case GroupState::kPreparingRebalance:
      update_member_and_rebalance(group, member, request, std::move(done));
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      return answer_now(join_error(GroupError::kUnknownMemberId, request.member_id));
  }
  flush();
}

void GroupCoordinator::add_member_and_rebalance(Group& group, const std::string& member_id,
                                                JoinRequest& request, JoinCompletion done) {
  bool from_empty = group.members.empty();
  if (from_empty) group.protocol_type = request.protocol_type;
  Member& member = group.members[member_id];
  member.member_id = member_id;
  member.group_instance_id = std::move(request.group_instance_id);
  member.client_id = std::move(request.client_id);
  member.client_host = std::move(request.client_host);
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = request.rebalance_timeout_ms;
  member.protocols = std::move(request.protocols);
  member.last_seen_ms = clock_.now_ms();
  member.pending_join = std::move(done);
  if (group.state == GroupState::kPreparingRebalance) {
    if (group.initial_delay_active) {
      // Each newcomer during the initial delay extends it, bounded by the rebalance timeout,
      // so a fleet starting together lands in one generation.
      group.join_not_before_ms = std::min(clock_.now_ms() + options_.initial_rebalance_delay_ms,
                                          group.join_deadline_ms);
    }
  } else {
    prepare_rebalance(group, from_empty);
  }
  maybe_complete_join(group);
}

void GroupCoordinator::update_member_and_rebalance(Group& group, Member& member,
                                                   JoinRequest& request, JoinCompletion done) {
  member.protocols = std::move(request.protocols);
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = request.rebalance_timeout_ms;
  member.client_id = std::move(request.client_id);
  member.client_host = std::move(request.client_host);
  member.last_seen_ms = clock_.now_ms();
  if (member.pending_join) {
    // A second JoinGroup from the same member replaces the first; the first still gets its
    // one answer, telling the client to rejoin should it still be listening.
    defer([old = std::move(member.pending_join), id = member.member_id]() {
      old(join_error(GroupError::kRebalanceInProgress, id));
    });
  }
  member.pending_join = std::move(done);
  if (group.state != GroupState::kPreparingRebalance) prepare_rebalance(group, false);
  maybe_complete_join(group);
}

void GroupCoordinator::prepare_rebalance(Group& group, bool from_empty) {
  if (group.state == GroupState::kCompletingRebalance) {
    for (auto& [id, member] : group.members) {
      member.assignment.clear();
      if (member.pending_sync) {
        defer([sync = std::move(member.pending_sync)]() {
          sync(sync_error(GroupError::kRebalanceInProgress));
        });
        member.pending_sync = nullptr;
      }
    }
  }
  int64_t now = clock_.now_ms();
  group.state = GroupState::kPreparingRebalance;
  group.join_deadline_ms = now + group.max_rebalance_timeout_ms();
  group.initial_delay_active = from_empty && options_.initial_rebalance_delay_ms > 0;
  group.join_not_before_ms =
      group.initial_delay_active
          ? std::min(now + options_.initial_rebalance_delay_ms, group.join_deadline_ms)
          : now;
}

void GroupCoordinator::maybe_complete_join(Group& group) {
  if (group.state != GroupState::kPreparingRebalance) return;
  int64_t now = clock_.now_ms();
  bool deadline_passed = now >= group.join_deadline_ms;
  if (!deadline_passed && (now < group.join_not_before_ms || !group.all_members_joined())) return;

  // Members that did not rejoin within the rebalance timeout are out of the new generation.
  std::vector<std::string> absent;
  for (const auto& [id, member] : group.members) {
    if (!member.pending_join) absent.push_back(id);
  }
  for (const std::string& id : absent) remove_member(group, id);
  if (group.members.empty()) {
    become_empty(group);
    return;
  }

  group.generation += 1;
  if (!group.members.contains(group.leader_id)) group.leader_id = group.members.begin()->first;
  group.protocol_name = group.select_protocol();
  group.state = GroupState::kCompletingRebalance;
  group.initial_delay_active = false;
  for (auto& [id, member] : group.members) {
    member.assignment.clear();
    member.last_seen_ms = now;
    defer([done = std::move(member.pending_join), result = join_result_for(group, member)]() mutable {
      done(std::move(result));
    });
    member.pending_join = nullptr;
  }
  persist_generation(group);
}

JoinResult GroupCoordinator::join_result_for(const Group& group, const Member& member) const {
  JoinResult r;
  r.generation_id = group.generation;
  r.protocol_type = group.protocol_type;
  r.protocol_name = group.protocol_name;
  r.leader_id = group.leader_id;
  r.member_id = member.member_id;
  if (member.member_id == group.leader_id) {
    for (const auto& [id, m] : group.members) {
      const Bytes* metadata = m.metadata_for(group.protocol_name);
      r.members.push_back({id, m.group_instance_id, metadata ? *metadata : Bytes{}});
    }
  }
  return r;
}

void GroupCoordinator::remove_member(Group& group, const std::string& member_id) {
  auto it = group.members.find(member_id);
  if (it == group.members.end()) return;
  Member& member = it->second;
  if (member.pending_join) {
    defer([done = std::move(member.pending_join), member_id]() {
      done(join_error(GroupError::kUnknownMemberId, member_id));
    });
  }
  if (member.pending_sync) {
    defer([done = std::move(member.pending_sync)]() { done(sync_error(GroupError::kUnknownMemberId)); });
  }
  group.members.erase(it);
}

void GroupCoordinator::after_members_removed(Group& group) {
  if (group.members.empty()) {
    // The last member gone means Empty now, not after a timeout, so the next consumer to
    // start joins at once.
    if (group.state != GroupState::kEmpty) become_empty(group);
    return;
  }
  switch (group.state) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      prepare_rebalance(group, false);
      maybe_complete_join(group);
      break;
    case GroupState::kPreparingRebalance:
      maybe_complete_join(group);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

void GroupCoordinator::become_empty(Group& group) {
  // Kafka's join phase with no members left still bumps the generation, so offsets committed
  // by a stale generation are refused.
  group.generation += 1;
  group.state = GroupState::kEmpty;
  group.protocol_name.clear();
  group.leader_id.clear();
  group.initial_delay_active = false;
  persist_generation(group);
}

void GroupCoordinator::persist_generation(const Group& group) {
  auto saved = store_.save_group_metadata(group.id, {group.generation, group.protocol_type});
  if (!saved) {
    // Membership lives in memory; losing the generation only risks reusing a number after a
    // restart, which members detect as an unknown member id anyway.
    log::warn("group {}: could not persist generation {}: {}", group.id, group.generation,
              saved.error().message());
  }
}

void GroupCoordinator::sync(SyncRequest request, SyncCompletion done) {
  auto answer_now = [&](SyncResult result) {
    defer([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
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
    defer([old = std::move(member.pending_sync)]() { old(sync_error(GroupError::kRebalanceInProgress)); });
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
