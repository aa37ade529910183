#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

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

}  // namespace velocity::broker
