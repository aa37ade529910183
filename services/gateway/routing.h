// Where a request goes, decided from its target alone: the gateway's own endpoints, the live
// event stream, one of the services, or the storefront's static files. Pure functions, so the
// routing rules are tested without a socket; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace velocity::gateway {

enum class RouteKind {
  kOps,             // /healthz, /readyz, /metrics: answered by the gateway itself
  kEvents,          // /api/events: the customer's Server-Sent Events stream
  kApi,             // /api/<service>/…: forwarded unchanged to `service`
  kAdminBlocked,    // /api/<service>/admin/…: never forwarded (404)
  kUnknownService,  // /api/<not a service>…: 404
  kBadTarget,       // not an origin-form target, or `.`/`..` segments under /api: 400
  kStatic,          // anything else: the storefront
};

struct Route {
  RouteKind kind = RouteKind::kStatic;
  std::string service;  // for kApi and kAdminBlocked
};

// `target` is the request target as received ("/api/orders/42?x=1").
Route classify(std::string_view target);

// The path of a target without its query string or fragment.
std::string_view target_path(std::string_view target);

// The path's non-empty segments, percent-decoded: services split paths the same way (an empty
// segment is skipped), so checks on these see what the service will see.
std::vector<std::string> decoded_segments(std::string_view path);

// Percent-decodes `text`; a '%' not followed by two hex digits is kept as it is.
std::string percent_decode(std::string_view text);

// A query parameter of `target`, percent-decoded ('+' is a space), or empty when absent.
std::string query_parameter(std::string_view target, std::string_view name);

}  // namespace velocity::gateway
