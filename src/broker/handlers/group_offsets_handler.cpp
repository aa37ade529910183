// OffsetCommit, OffsetFetch and OffsetDelete: a group's committed offsets, kept by
// group::GroupCoordinator in its durable OffsetStore. Requests arrive grouped by topic; the
// coordinator works on flat partition lists, so each handler flattens and regroups in order.
#include <map>

#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {
namespace {

using group::GroupError;
using protocol::KafkaError;

// Appends `partition` to the response topic named `topic`, creating the topic entry on first
// use, so the answer keeps the order in which topics were first seen.
template <typename Topics>
auto& partition_entry(Topics& topics, std::map<std::string, size_t>& index, const std::string& topic) {
  auto [it, inserted] = index.try_emplace(topic, topics.size());
  if (inserted) topics.emplace_back().name = topic;
  return topics[it->second].partitions.emplace_back();
}

}  // namespace

void handle(HandlerContext& ctx, const RequestHeader&, protocol::OffsetCommitRequest& request, Respond respond) {
  // The answer lists every requested partition in request order; `pending` says which of them
  // the coordinator decides, by position in the flat list it is given.
  auto response = std::make_shared<protocol::OffsetCommitResponse>();
  std::vector<std::pair<size_t, size_t>> pending;  // (topic, partition) positions in `response`
  group::OffsetCommitRequest commit;
  commit.group_id = std::move(request.group_id);
  // v0 carries neither: the defaults (-1, "") make it a commit outside group membership.
  commit.generation_id = request.generation_id_or_member_epoch;
  commit.member_id = std::move(request.member_id);
  commit.group_instance_id = std::move(request.group_instance_id);
  for (auto& topic : request.topics) {
    auto& out_topic = response->topics.emplace_back();
    out_topic.name = topic.name;
    for (auto& partition : topic.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = partition.partition_index;
      if (ctx.groups == nullptr) {
        out.error_code = protocol::wire(KafkaError::kCoordinatorNotAvailable);
        continue;
      }
      // As Kafka does: offsets are committed only for partitions that exist.
      if (ctx.topics.find(topic.name, partition.partition_index) == nullptr) {
        out.error_code = protocol::wire(KafkaError::kUnknownTopicOrPartition);
        continue;
      }
      pending.emplace_back(response->topics.size() - 1, out_topic.partitions.size() - 1);
      // CommitTimestamp (v1) and RetentionTimeMs (v2-4) are not used: committed offsets do not
      // expire on this broker.
      commit.partitions.push_back({topic.name, partition.partition_index, partition.committed_offset,
                                   partition.committed_leader_epoch, std::move(partition.committed_metadata)});
    }
  }
  if (pending.empty()) {
    respond(std::move(*response));
    return;
  }
  ctx.groups->commit_offsets(
      std::move(commit),
      [response, pending = std::move(pending), respond = std::move(respond)](group::OffsetCommitResult result) {
        for (size_t i = 0; i < pending.size(); ++i) {
          auto [t, p] = pending[i];
          response->topics[t].partitions[p].error_code = i < result.partition_errors.size()
                                       ? wire_error(result.partition_errors[i])
                                       : protocol::wire(KafkaError::kUnknownServerError);
        }
        respond(std::move(*response));
      });
}

void handle(HandlerContext& ctx, const RequestHeader& header, protocol::OffsetFetchRequest& request, Respond respond) {
  protocol::OffsetFetchResponse response;
  // Null Topics (v2+) asks for every partition the group has committed.
  std::optional<std::vector<group::TopicPartition>> wanted;
  if (request.topics) {
    wanted.emplace();
    for (const auto& topic : *request.topics) {
      for (int32_t partition : topic.partition_indexes) wanted->push_back({topic.name, partition});
    }
  }
  group::OffsetFetchResult result;
  if (ctx.groups == nullptr) {
    result.error = GroupError::kCoordinatorNotAvailable;
  } else {
    result = ctx.groups->fetch_offsets(request.group_id, wanted);
  }

  std::map<std::string, size_t> index;
  if (result.error != GroupError::kNone) {
    response.error_code = wire_error(result.error);
    // v1 has no top-level ErrorCode: Kafka repeats the group's error on every partition.
    if (header.api_version < 2 && wanted) {
      for (const auto& tp : *wanted) {
        auto& out = partition_entry(response.topics, index, tp.topic);
        out.partition_index = tp.partition;
        out.metadata = std::string();
        out.error_code = response.error_code;
      }
    }
    respond(std::move(response));
    return;
  }
  for (auto& fetched : result.offsets) {
    auto& out = partition_entry(response.topics, index, fetched.topic);
    out.partition_index = fetched.partition;
    out.committed_offset = fetched.offset;
    out.committed_leader_epoch = fetched.leader_epoch;
    out.metadata = std::move(fetched.metadata);
    out.error_code = wire_error(fetched.error);
  }
  respond(std::move(response));
}

void handle(HandlerContext& ctx, const RequestHeader&, protocol::OffsetDeleteRequest& request, Respond respond) {
  protocol::OffsetDeleteResponse response;
  if (ctx.groups == nullptr) {
    response.error_code = protocol::wire(KafkaError::kCoordinatorNotAvailable);
    respond(std::move(response));
    return;
  }
  std::vector<group::TopicPartition> partitions;
  for (const auto& topic : request.topics) {
    for (const auto& partition : topic.partitions) partitions.push_back({topic.name, partition.partition_index});
  }
  auto result = ctx.groups->delete_offsets(request.group_id, partitions);
  response.error_code = wire_error(result.error);
  std::map<std::string, size_t> index;
  for (const auto& [tp, error] : result.partitions) {
    auto& out = partition_entry(response.topics, index, tp.topic);
    out.partition_index = tp.partition;
    out.error_code = wire_error(error);
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
