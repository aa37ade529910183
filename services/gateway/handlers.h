// The answers the gateway builds for one parsed request, by route: its own ops endpoints, the
// storefront's static files, and requests forwarded to a service (with the session check).
// None of them touches the browser's socket: the connection writes what they return.
// Thread-safe: they only read the shared Context (and the upstream pools lock their own state).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "gateway/context.h"
#include "gateway/http.h"

namespace velocity::gateway {

using FileResponse = http::response<http::file_body>;
using EmptyResponse = http::response<http::empty_body>;
using Reply = std::variant<Response, FileResponse, EmptyResponse>;

unsigned status_of(const Reply& reply);

// {"error": message} with `status`.
Response error_reply(http::status status, std::string_view message, unsigned version,
                     bool keep_alive);

// /healthz, /readyz, /metrics.
Response ops_reply(Context& context, const Request& request, bool keep_alive);

// A file of the storefront (GET and HEAD), 304 when the browser's copy is current.
Reply static_reply(Context& context, const Request& request, bool keep_alive);

// Checks the session token, then forwards the request to `service` and returns its answer (or
// 401, 503, 504, 502 when the gateway answers instead). Runs on the connection's strand.
asio::awaitable<Response> api_reply(Context& context, const std::string& service, Request request,
                                    const std::string& request_id,
                                    const std::string& client_address, bool keep_alive);

}  // namespace velocity::gateway
