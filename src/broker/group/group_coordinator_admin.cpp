// Offsets and admin half of GroupCoordinator: OffsetCommit, OffsetFetch, OffsetDelete,
// DescribeGroups, ListGroups and DeleteGroups.
#include "broker/group/group_coordinator.h"

namespace velocity::group {

void GroupCoordinator::commit_offsets(OffsetCommitRequest request, OffsetCommitCompletion done) {
  OffsetCommitResult result;
  auto finish = [&](std::optional<GroupError> all) {
    if (all) result.partition_errors.assign(request.partitions.size(), *all);
    defer([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    flush();
  };
  if (request.group_id.empty()) return finish(GroupError::kInvalidGroupId);
  Group* group = find(request.group_id);
  bool simple = request.generation_id < 0;
  if (group == nullptr) {
    // No group: only a commit that does not claim membership can create one (manual
    // assign(), admin tools); a member of a generation we never saw is stale.
    if (!simple) return finish(GroupError::kIllegalGeneration);
    group = &find_or_create(request.group_id);
  } else if (simple && group->members.empty()) {
    // Accepted: a group with no members is free for non-member commits.
  } else if (group->state == GroupState::kCompletingRebalance) {
    return finish(GroupError::kRebalanceInProgress);
  } else {
    auto member = group->members.find(request.member_id);
    if (member == group->members.end()) return finish(GroupError::kUnknownMemberId);
    if (request.generation_id != group->generation) return finish(GroupError::kIllegalGeneration);
    member->second.last_seen_ms = clock_.now_ms();
  }

  int64_t now = clock_.now_ms();
  std::vector<OffsetWrite> writes;
  std::vector<size_t> written_index;
  result.partition_errors.assign(request.partitions.size(), GroupError::kNone);
  for (size_t i = 0; i < request.partitions.size(); ++i) {
    OffsetCommitPartition& p = request.partitions[i];
    if (p.metadata && p.metadata->size() > options_.max_offset_metadata_bytes) {
      result.partition_errors[i] = GroupError::kOffsetMetadataTooLarge;
      continue;
    }
    writes.push_back(
        {{p.topic, p.partition}, {p.offset, p.leader_epoch, std::move(p.metadata), now}});
    written_index.push_back(i);
  }
  if (auto committed = store_.commit_offsets(request.group_id, writes); !committed) {
    // The client retries after looking the coordinator up again; nothing was acknowledged.
    for (size_t i : written_index)
      result.partition_errors[i] = GroupError::kCoordinatorNotAvailable;
  }
  finish(std::nullopt);
}

OffsetFetchResult GroupCoordinator::fetch_offsets(
    const std::string& group_id,
    const std::optional<std::vector<TopicPartition>>& partitions) const {
  OffsetFetchResult result;
  if (group_id.empty()) {
    result.error = GroupError::kInvalidGroupId;
    return result;
  }
  auto to_fetched = [](const TopicPartition& tp, const std::optional<CommittedOffset>& value) {
    FetchedOffset f;
    f.topic = tp.topic;
    f.partition = tp.partition;
    if (value) {
      f.offset = value->offset;
      f.leader_epoch = value->leader_epoch;
      f.metadata = value->metadata;
    } else {
      // Nothing committed is not an error: the client falls back to auto.offset.reset.
      f.metadata = std::string();
    }
    return f;
  };
  if (!partitions) {
    for (const OffsetWrite& w : store_.offsets(group_id)) {
      result.offsets.push_back(to_fetched(w.partition, w.value));
    }
    return result;
  }
  for (const TopicPartition& tp : *partitions) {
    result.offsets.push_back(to_fetched(tp, store_.offset(group_id, tp)));
  }
  return result;
}

OffsetDeleteResult GroupCoordinator::delete_offsets(const std::string& group_id,
                                                    const std::vector<TopicPartition>& partitions) {
  OffsetDeleteResult result;
  if (group_id.empty()) {
    result.error = GroupError::kInvalidGroupId;
    return result;
  }
  const Group* group = find(group_id);
  if (group == nullptr && !store_.has_group(group_id)) {
    result.error = GroupError::kGroupIdNotFound;
    return result;
  }
  std::set<std::string> subscribed;
  if (group != nullptr && !group->members.empty()) {
    // With live members only offsets of topics nobody subscribes to may go; if we cannot tell
    // which topics those are, nothing may.
    auto topics = group->subscribed_topics();
    if (!topics) {
      result.error = GroupError::kNonEmptyGroup;
      return result;
    }
    subscribed = std::move(*topics);
  }
  std::vector<TopicPartition> to_delete;
  for (const TopicPartition& tp : partitions) {
    if (subscribed.contains(tp.topic)) {
      result.partitions.emplace_back(tp, GroupError::kGroupSubscribedToTopic);
    } else {
      result.partitions.emplace_back(tp, GroupError::kNone);
      to_delete.push_back(tp);
    }
  }
  if (auto deleted = store_.delete_offsets(group_id, to_delete); !deleted) {
    for (auto& [tp, error] : result.partitions) {
      if (error == GroupError::kNone) error = GroupError::kCoordinatorNotAvailable;
    }
  }
  return result;
}

std::vector<GroupDescription> GroupCoordinator::describe_groups(
    const std::vector<std::string>& group_ids) const {
  std::vector<GroupDescription> out;
  for (const std::string& id : group_ids) {
    GroupDescription d;
    d.group_id = id;
    const Group* group = find(id);
    if (id.empty()) {
      d.error = GroupError::kInvalidGroupId;
      d.state = kafka_name(GroupState::kDead);
    } else if (group == nullptr) {
      // DescribeGroups (v0-5) answers an unknown group with state Dead and no error, as Kafka.
      d.state = kafka_name(GroupState::kDead);
    } else {
      d.state = kafka_name(group->state);
      d.protocol_type = group->protocol_type;
      bool stable = group->state == GroupState::kStable;
      // Metadata and assignments are only meaningful once the generation is settled.
      if (stable) d.protocol = group->protocol_name;
      for (const auto& [member_id, member] : group->members) {
        MemberDescription m;
        m.member_id = member_id;
        m.group_instance_id = member.group_instance_id;
        m.client_id = member.client_id;
        m.client_host = member.client_host;
        if (stable) {
          if (const Bytes* metadata = member.metadata_for(group->protocol_name))
            m.metadata = *metadata;
          m.assignment = member.assignment;
        }
        d.members.push_back(std::move(m));
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<GroupListing> GroupCoordinator::list_groups() const {
  std::vector<GroupListing> out;
  for (const auto& [id, group] : groups_) {
    out.push_back({id, group.protocol_type, std::string(kafka_name(group.state))});
  }
  return out;
}

std::vector<GroupDeletion> GroupCoordinator::delete_groups(
    const std::vector<std::string>& group_ids) {
  std::vector<GroupDeletion> out;
  for (const std::string& id : group_ids) {
    GroupDeletion d{id, GroupError::kNone};
    Group* group = find(id);
    if (id.empty()) {
      d.error = GroupError::kInvalidGroupId;
    } else if (group == nullptr && !store_.has_group(id)) {
      d.error = GroupError::kGroupIdNotFound;
    } else if (group != nullptr && !group->members.empty()) {
      d.error = GroupError::kNonEmptyGroup;
    } else if (auto deleted = store_.delete_group(id); !deleted) {
      d.error = GroupError::kCoordinatorNotAvailable;
    } else {
      groups_.erase(id);
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace velocity::group
