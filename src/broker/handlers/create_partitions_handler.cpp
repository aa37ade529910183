#include "broker/handlers/handlers.h"
#include "broker/handlers/topic_errors.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {

using protocol::KafkaError;
using protocol::wire;

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
                                                                         : wire(topic_error(added.error()));
      out.error_message = added.error().context;
    }
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
