#include <map>

#include "broker/handlers/handlers.h"
#include "broker/handlers/topic_errors.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {

using protocol::KafkaError;
using protocol::wire;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::CreateTopicsRequest& request, Respond respond) {
  protocol::CreateTopicsResponse response;
  for (const auto& topic : request.topics) {
    auto& out = response.topics.emplace_back();
    out.name = topic.name;
    if (topic.replication_factor > 1) {
      out.error_code = wire(KafkaError::kInvalidReplicationFactor);
      out.error_message = "a single-node broker holds one replica; replication factor must be 1 or -1";
      continue;
    }
    if (!topic.assignments.empty()) {
      out.error_code = wire(KafkaError::kInvalidReplicaAssignment);
      out.error_message = "manual replica assignment is not supported";
      continue;
    }
    if (topic.num_partitions == 0 || topic.num_partitions < -1) {
      out.error_code = wire(KafkaError::kInvalidPartitions);
      out.error_message = "number of partitions must be at least 1 (or -1 for the default)";
      continue;
    }
    std::map<std::string, std::string> configs;
    for (const auto& config : topic.configs) {
      if (config.value) configs[config.name] = *config.value;
    }
    auto created = ctx.topics.create(topic.name, topic.num_partitions, configs, request.validate_only);
    if (!created) {
      auto code = topic_error(created.error());
      if (created.error().code == ErrorCode::kInvalidArgument) {
        code = created.error().context.find("topic name") != std::string::npos ? KafkaError::kInvalidTopicException
                                                                              : KafkaError::kInvalidConfig;
      }
      out.error_code = wire(code);
      out.error_message = created.error().context;
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
