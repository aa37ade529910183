#include "broker/handlers/handlers.h"
#include "broker/handlers/topic_errors.h"
#include "broker/protocol/error_code.h"

namespace velocity::broker {

using protocol::KafkaError;
using protocol::wire;

void handle(HandlerContext& ctx, const RequestHeader&, protocol::DeleteTopicsRequest& request, Respond respond) {
  protocol::DeleteTopicsResponse response;
  for (const auto& name : request.topic_names) {
    auto& out = response.responses.emplace_back();
    out.name = name;
    auto removed = ctx.topics.remove(name);
    if (!removed) out.error_code = wire(topic_error(removed.error()));
  }
  respond(std::move(response));
}

}  // namespace velocity::broker
