// Dispatcher: the broker's net::RequestHandler. Decodes each frame, routes it to the handler
// of its API (handlers.h), and encodes the answer with the response header the client
// expects. Frames it cannot decode close that connection with a logged reason, except an
// ApiVersions request of a version we do not speak, which gets Kafka's fallback answer.
// Event-loop thread only.
#pragma once

#include "broker/handlers/context.h"
#include "broker/handlers/request_times.h"
#include "broker/net/request_handler.h"
#include "broker/protocol/writer.h"

namespace velocity::broker {

class Dispatcher : public net::RequestHandler {
 public:
  explicit Dispatcher(HandlerContext& ctx) : ctx_(ctx) {}

  void handle(const net::ConnectionInfo& connection, std::vector<std::byte> frame,
              net::ReplyFn reply) override;

  // How long requests were held, per API, since the dispatcher was made.
  RequestTimes& request_times() { return times_; }

 private:
  HandlerContext& ctx_;
  RequestTimes times_;
  protocol::Writer writer_;  // reused for every response
};

// Turns an encoded frame into what the network layer sends (bytes copied, file ranges kept).
net::Response to_net_response(const protocol::Writer& writer);

}  // namespace velocity::broker
