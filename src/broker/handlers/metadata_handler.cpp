#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"
#include "common/log.h"

namespace velocity::broker {
namespace {

using protocol::KafkaError;
using protocol::wire;

protocol::MetadataResponse::Topic describe_topic(const HandlerContext& ctx, const Topic& topic) {
  protocol::MetadataResponse::Topic out;
  out.name = topic.name;
  for (const auto& partition : topic.partitions) {
    protocol::MetadataResponse::Partition p;
    p.partition_index = partition->index;
    p.leader_id = ctx.config.node_id;
    p.leader_epoch = 0;
    p.replica_nodes = {ctx.config.node_id};
    p.isr_nodes = {ctx.config.node_id};
    out.partitions.push_back(std::move(p));
  }
  return out;
}

}  // namespace

void handle(HandlerContext& ctx, const RequestHeader& header, protocol::MetadataRequest& request, Respond respond) {
  protocol::MetadataResponse response;
  response.brokers.push_back({ctx.config.node_id, ctx.config.advertised_host, ctx.config.advertised_port, std::nullopt});
  response.cluster_id = ctx.config.cluster_id;
  // Admin clients send CreateTopics and friends to the controller: that is us.
  response.controller_id = ctx.config.node_id;

  // v0: an empty list means every topic; v1+: null means every topic, empty means none.
  bool all_topics = !request.topics.has_value() || (header.api_version == 0 && request.topics->empty());
  if (all_topics) {
    for (auto* topic : ctx.topics.list()) response.topics.push_back(describe_topic(ctx, *topic));
    respond(std::move(response));
    return;
  }
  bool may_create = ctx.config.auto_create_topics && (header.api_version < 4 || request.allow_auto_topic_creation);
  for (const auto& wanted : *request.topics) {
    auto* topic = ctx.topics.find(wanted.name);
    if (!topic && may_create) {
      auto created = ctx.topics.create(wanted.name, -1, {});
      if (created) {
        topic = *created;
      } else if (created.error().code != ErrorCode::kInvalidArgument) {
        log::warn("auto-creating topic {}: {}", wanted.name, created.error().message());
      }
    }
    if (!topic) {
      protocol::MetadataResponse::Topic missing;
      missing.name = wanted.name;
      missing.error_code = validate_topic_name(wanted.name) ? wire(KafkaError::kUnknownTopicOrPartition)
                                                            : wire(KafkaError::kInvalidTopicException);
      response.topics.push_back(std::move(missing));
      continue;
    }
    response.topics.push_back(describe_topic(ctx, *topic));
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
