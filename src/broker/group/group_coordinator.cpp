// Join phase of GroupCoordinator: JoinGroup, rebalancing and member removal. SyncGroup,
// Heartbeat, LeaveGroup and the timer are in group_coordinator_sync.cpp; offsets and admin
// requests in group_coordinator_admin.cpp.
#include "broker/group/group_coordinator.h"

#include <algorithm>
#include <cstdio>

#include "common/log.h"

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
    defer([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
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
      group.join_not_before_ms =
          std::min(clock_.now_ms() + options_.initial_rebalance_delay_ms, group.join_deadline_ms);
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
    defer([done = std::move(member.pending_join),
           result = join_result_for(group, member)]() mutable { done(std::move(result)); });
    member.pending_join = nullptr;
  }
  // One line per rebalance: with the clients' logs it tells who held which generation when.
  log::info("group {}: generation {} with {} member(s), leader {}", group.id, group.generation,
            group.members.size(), group.leader_id);
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
    defer([done = std::move(member.pending_sync)]() {
      done(sync_error(GroupError::kUnknownMemberId));
    });
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

}  // namespace velocity::group
