// CreateTopics, DeleteTopics and CreatePartitions: the topic lifecycle.
#include <map>

#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {
namespace {

using protocol::KafkaError;
using protocol::wire;

KafkaError creation_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::kAlreadyExists: return KafkaError::kTopicAlreadyExists;
    case ErrorCode::kNotFound: return KafkaError::kUnknownTopicOrPartition;
    default: return protocol::to_kafka_error(error);
  }
}

}  // namespace

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
      auto code = creation_error(created.error());
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

void handle(HandlerContext& ctx, const RequestHeader&, protocol::DeleteTopicsRequest& request, Respond respond) {
  protocol::DeleteTopicsResponse response;
  for (const auto& name : request.topic_names) {
    auto& out = response.responses.emplace_back();
    out.name = name;
    auto removed = ctx.topics.remove(name);
    if (!removed) out.error_code = wire(creation_error(removed.error()));
  }
  respond(std::move(response));
}

void handle(HandlerContext& ctx, const RequestHeader&, protocol::CreatePartitionsRequest& request, Respond respond) {
  protocol::CreatePartitionsResponse response;
  for (const auto& topic : request.topics) {
    auto& out = response.results.emplace_back();
    out.name = topic.name;
    if (topic.assignments && !topic.assignments->empty()) {
      out.error_code = wire(KafkaError::kInvalidReplicaAssignment);
      out.error_message = "manual replica assignment is not supported";
      continue;
    }
    auto added = ctx.topics.add_partitions(topic.name, topic.count, request.validate_only);
    if (!added) {
      out.error_code = added.error().code == ErrorCode::kInvalidArgument ? wire(KafkaError::kInvalidPartitions)
                                                                         : wire(creation_error(added.error()));
      out.error_message = added.error().context;
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
