// GroupCoordinator: Kafka's classic consumer-group protocol as pure domain logic
// (Empty → PreparingRebalance → CompletingRebalance → Stable), with committed offsets kept in an
// OffsetStore. JoinGroup, SyncGroup and OffsetCommit answer through a completion that is invoked
// exactly once, possibly later, from within whichever call (join, sync, leave, tick, ...)
// decides the answer. Not thread-safe: call every method from one thread (the server's event
// loop). Borrows the clock and the store, which must outlive it. Semantics: docs/groups.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "broker/group/clock.h"
#include "broker/group/group.h"
#include "broker/group/group_types.h"
#include "broker/group/offset_store.h"

namespace velocity::group {

struct GroupCoordinatorOptions {
  int32_t min_session_timeout_ms = 6'000;      // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1'800'000;  // group.max.session.timeout.ms
  int32_t initial_rebalance_delay_ms = 3'000;  // group.initial.rebalance.delay.ms (0 in tests)
  size_t max_offset_metadata_bytes = 4'096;    // offset.metadata.max.bytes
};

class GroupCoordinator {
 public:
  // Groups known to `store` (offsets or metadata) start Empty with their last generation.
  GroupCoordinator(const Clock& clock, OffsetStore& store, GroupCoordinatorOptions options = {});
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // JoinGroup. `done` runs when the join phase completes (or at once for errors, for
  // kMemberIdRequired and for a rejoin that changes nothing).
  void join(JoinRequest request, JoinCompletion done);
  // SyncGroup. Parked in CompletingRebalance until the leader's SyncGroup arrives.
  void sync(SyncRequest request, SyncCompletion done);
  [[nodiscard]] GroupError heartbeat(const std::string& group_id, int32_t generation_id,
                                     const std::string& member_id);
  // LeaveGroup for one (v0-2) or several (v3+) members; per-member results in request order.
  [[nodiscard]] LeaveResult leave(const std::string& group_id,
                                  const std::vector<std::string>& member_ids);

  // OffsetCommit: `done` runs once the offsets are durable (today: before commit_offsets
  // returns, after one fdatasync for all partitions of the request).
  void commit_offsets(OffsetCommitRequest request, OffsetCommitCompletion done);
  // OffsetFetch; `partitions` nullopt = every partition the group has committed.
  [[nodiscard]] OffsetFetchResult fetch_offsets(
      const std::string& group_id,
      const std::optional<std::vector<TopicPartition>>& partitions) const;
  [[nodiscard]] OffsetDeleteResult delete_offsets(const std::string& group_id,
                                                  const std::vector<TopicPartition>& partitions);

  [[nodiscard]] std::vector<GroupDescription> describe_groups(
      const std::vector<std::string>& group_ids) const;
  [[nodiscard]] std::vector<GroupListing> list_groups() const;  // sorted by group id
  [[nodiscard]] std::vector<GroupDeletion> delete_groups(const std::vector<std::string>& group_ids);

  // Called by the server's timer (e.g. every 100 ms): evicts members whose session expired,
  // forgets unused MEMBER_ID_REQUIRED ids and completes join phases that are due.
  void tick();

  // For metrics and tests.
  std::optional<GroupState> state_of(const std::string& group_id) const;
  std::optional<int32_t> generation_of(const std::string& group_id) const;

 private:
  Group* find(const std::string& group_id);
  const Group* find(const std::string& group_id) const;
  Group& find_or_create(const std::string& group_id);

  std::string new_member_id(const std::string& client_id);
  void add_member_and_rebalance(Group& group, const std::string& member_id, JoinRequest& request,
                                JoinCompletion done);
  void update_member_and_rebalance(Group& group, Member& member, JoinRequest& request,
                                   JoinCompletion done);
  void prepare_rebalance(Group& group, bool from_empty);
  void maybe_complete_join(Group& group);
  void remove_member(Group& group, const std::string& member_id);
  void after_members_removed(Group& group);
  void become_empty(Group& group);
  JoinResult join_result_for(const Group& group, const Member& member) const;
  void persist_generation(const Group& group);

  // Completions are queued while state changes and run by flush() at the end of each public
  // call, so a completion may call back into the coordinator safely.
  void defer(std::function<void()> completion) { deferred_.push_back(std::move(completion)); }
  void flush();

  const Clock& clock_;
  OffsetStore& store_;
  GroupCoordinatorOptions options_;
  std::map<std::string, Group> groups_;
  std::vector<std::function<void()>> deferred_;
  std::mt19937_64 random_;
};

}  // namespace velocity::group
