// What the gateway changes on a request it forwards and on the answer it passes back: the
// identity headers (only the gateway may set them), hop-by-hop headers, the request id and the
// W3C trace context. Pure functions on Beast messages, tested without a network; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/http.h"
#include "velocity/config.h"

namespace velocity::gateway {

inline constexpr char kRequestIdHeader[] = "X-Request-Id";

// Removes X-Velocity-Customer and X-Velocity-Edge-Key, in any spelling and any number.
void strip_identity_headers(Request& request);

// The request's X-Request-Id when it is a sane token (1–128 of [A-Za-z0-9._:-]), else a new id.
std::string request_id_for(const Request& request);

// A child span of the request's valid `traceparent`, or a new trace when it has none.
std::string traceparent_for(const Request& request);

struct ForwardHeaders {
  std::optional<std::string> customer_id;  // with the edge key; nullopt: forwarded anonymously
  std::string edge_key;
  std::string request_id;
  std::string traceparent;
  std::string client_address;  // appended to X-Forwarded-For
};

// The request to send to `upstream`: the same method, target and body, without identity or
// hop-by-hop headers, with the gateway's identity (if any), request id, trace context and
// X-Forwarded-For, and keep-alive towards the service.
Request upstream_request(Request incoming, const config::Endpoint& upstream,
                         const ForwardHeaders& headers);

// The service's answer as the browser gets it: hop-by-hop headers removed, the request id set,
// keep-alive as the browser's connection allows. For a HEAD request the announced length stays.
Response downstream_response(Response upstream, std::string_view request_id, unsigned version,
                             bool keep_alive, bool head_request = false);

}  // namespace velocity::gateway
