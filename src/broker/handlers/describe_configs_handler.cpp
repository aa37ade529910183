#include "broker/handlers/handlers.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {
namespace {

using protocol::KafkaError;
using protocol::wire;

constexpr int8_t kTopicResource = 2;
constexpr int8_t kBrokerResource = 4;
constexpr int8_t kSourceTopicConfig = 1;   // DYNAMIC_TOPIC_CONFIG
constexpr int8_t kSourceDefault = 5;       // DEFAULT_CONFIG

}  // namespace

void handle(HandlerContext& ctx, const RequestHeader&, protocol::DescribeConfigsRequest& request, Respond respond) {
  protocol::DescribeConfigsResponse response;
  for (const auto& resource : request.resources) {
    auto& out = response.results.emplace_back();
    out.resource_type = resource.resource_type;
    out.resource_name = resource.resource_name;
    std::vector<ConfigEntry> entries;
    if (resource.resource_type == kTopicResource) {
      auto* topic = ctx.topics.find(resource.resource_name);
      if (!topic) {
        out.error_code = wire(KafkaError::kUnknownTopicOrPartition);
        out.error_message = "topic '" + resource.resource_name + "' does not exist";
        continue;
      }
      entries = describe(topic->config);
    } else if (resource.resource_type == kBrokerResource) {
      auto defaults = TopicConfig::make(ctx.config.topic_defaults, {});
      if (defaults) entries = describe(*defaults);
    } else {
      out.error_code = wire(KafkaError::kInvalidRequest);
      out.error_message = "only topic and broker resources have configs";
      continue;
    }
    for (const auto& entry : entries) {
      if (resource.configuration_keys) {
        const auto& keys = *resource.configuration_keys;
        if (std::find(keys.begin(), keys.end(), entry.name) == keys.end()) continue;
      }
      auto& config = out.configs.emplace_back();
      config.name = entry.name;
      config.value = entry.value;
      config.read_only = entry.read_only;
      config.is_default = entry.is_default;
      config.config_source = entry.is_default ? kSourceDefault : kSourceTopicConfig;
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
