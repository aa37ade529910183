#include <map>

#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

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

}  // namespace velocity::broker
