#include "broker/handlers/dispatcher.h"

#include <chrono>
#include <memory>

#include "broker/handlers/handlers.h"
#include "common/big_endian.h"
#include "common/log.h"

namespace velocity::broker {

net::Response to_net_response(const protocol::Writer& writer) {
  net::Response response;
  for (const auto& segment : writer.segments()) {
    if (const auto* bytes = std::get_if<std::span<const std::byte>>(&segment)) {
      if (bytes->empty()) continue;
      response.chunks.emplace_back(std::vector<std::byte>(bytes->begin(), bytes->end()));
    } else {
      const auto& file = std::get<protocol::FileRange>(segment);
      net::FileRange range;
      range.fd = file.fd;
      range.position = file.position;
      range.length = static_cast<size_t>(file.length);
      range.keep_alive = file.keep_alive;
      response.chunks.emplace_back(std::move(range));
    }
  }
  return response;
}

void Dispatcher::handle(const net::ConnectionInfo& connection, std::vector<std::byte> frame,
                        net::ReplyFn reply) {
  const auto received = std::chrono::steady_clock::now();
  auto owned = std::make_shared<std::vector<std::byte>>(std::move(frame));
  auto decoded = protocol::decode_request(*owned);
  if (!decoded) {
    auto header = protocol::decode_request_header(*owned);
    // Kafka answers an ApiVersions request it cannot parse with a v0 body listing its own
    // ApiVersions range, so the client can retry with a version both sides speak. The header
    // of a version from the future may itself not parse, so only its fixed prefix (api key,
    // version, correlation id) is relied on here.
    if (owned->size() >= 8 && load_be<int16_t>(owned->data()) == static_cast<int16_t>(protocol::ApiKey::kApiVersions)) {
      writer_.clear();
      protocol::encode_api_versions_fallback(writer_, load_be<int32_t>(owned->data() + 4));
      reply(net::Reply::respond(to_net_response(writer_)));
      return;
    }
    std::string what = header ? std::string(protocol::api_name(header->api_key)) + " v" +
                                    std::to_string(header->api_version)
                              : "request";
    reply(net::Reply::close(what + " from " + connection.peer + " rejected: " + decoded.error().message()));
    return;
  }

  auto request = std::make_shared<protocol::Request>(std::move(*decoded));
  const auto& header = request->header;
  Respond respond = [this, owned, request, reply, received](
                        std::optional<protocol::ResponseBody> body) mutable {
    times_.record(static_cast<int16_t>(request->header.api_key),
                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - received)
                      .count());
    // `owned` and `request` stay alive until here: record views point into the frame.
    if (!body) {
      reply(net::Reply::none());
      return;
    }
    writer_.clear();
    auto encoded = protocol::encode_response(writer_, request->header.correlation_id,
                                             request->header.api_version, *body);
    if (!encoded) {
      log::error("cannot encode {} v{} response: {}", protocol::api_name(request->header.api_key),
                 request->header.api_version, encoded.error().message());
      reply(net::Reply::close("internal error encoding a response"));
      return;
    }
    reply(net::Reply::respond(to_net_response(writer_)));
  };
  try {
    std::visit([&](auto& body) { broker::handle(ctx_, header, body, respond); }, request->body);
  } catch (const std::exception& e) {
    log::error("{} v{} from {} failed: {}", protocol::api_name(header.api_key), header.api_version,
               connection.peer, e.what());
    reply(net::Reply::close(std::string("handler failed: ") + e.what()));
  }
}

}  // namespace velocity::broker
