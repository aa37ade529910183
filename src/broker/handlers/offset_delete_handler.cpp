#include <map>

#include "broker/group/group_coordinator.h"
#include "broker/handlers/group_error.h"
#include "broker/handlers/handlers.h"

namespace velocity::broker {

using group::GroupError;
using protocol::KafkaError;

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
