#include "gateway/forwarding.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "velocity/event.h"
#include "velocity/service.h"
#include "velocity/trace.h"

namespace velocity::gateway {
namespace {

// Removes the headers that describe one hop, including those the Connection header names.
template <bool IsRequest>
void strip_hop_by_hop(http::header<IsRequest>& fields) {
  std::vector<std::string> named;
  const auto [first, last] = fields.equal_range(http::field::connection);
  for (auto value = first; value != last; ++value) {
    std::string_view list = ssv(value->value());
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view token = list.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (!token.empty()) named.emplace_back(token);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  for (const auto& name : named) fields.erase(name);
  for (const auto field :
       {http::field::connection, http::field::keep_alive, http::field::proxy_authenticate,
        http::field::proxy_authorization, http::field::te, http::field::trailer,
        http::field::transfer_encoding, http::field::upgrade, http::field::proxy_connection}) {
    fields.erase(field);
  }
}

bool sane_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::ranges::all_of(id, [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

}  // namespace

void strip_identity_headers(Request& request) {
  request.erase(bsv(kCustomerHeader));
  request.erase(bsv(kEdgeKeyHeader));
}

std::string request_id_for(const Request& request) {
  const auto it = request.find(kRequestIdHeader);
  if (it != request.end()) {
    const std::string_view value(it->value().data(), it->value().size());
    if (sane_request_id(value)) return std::string(value);
  }
  return new_event_id();
}

std::string traceparent_for(const Request& request) {
  const auto it = request.find(bsv(trace::kTraceparentHeader));
  if (it != request.end()) {
    auto parent =
        trace::parse_traceparent(std::string_view(it->value().data(), it->value().size()));
    if (parent) return trace::format_traceparent(trace::child_of(*parent));
  }
  return trace::format_traceparent(trace::new_root());
}

Request upstream_request(Request incoming, const config::Endpoint& upstream,
                         const ForwardHeaders& headers) {
  Request out = std::move(incoming);
  strip_identity_headers(out);
  strip_hop_by_hop(out.base());
  // The gateway already read the whole body; the service must not wait for a 100 Continue.
  out.erase(http::field::expect);
  if (headers.customer_id) {
    out.set(bsv(kCustomerHeader), *headers.customer_id);
    out.set(bsv(kEdgeKeyHeader), headers.edge_key);
  }
  out.set(kRequestIdHeader, headers.request_id);
  out.set(bsv(trace::kTraceparentHeader), headers.traceparent);
  if (!headers.client_address.empty()) {
    std::string forwarded;
    if (auto it = out.find("X-Forwarded-For"); it != out.end()) {
      forwarded = std::string(it->value().data(), it->value().size()) + ", ";
    }
    out.set("X-Forwarded-For", forwarded + headers.client_address);
  }
  out.set(http::field::host, upstream.host + ":" + std::to_string(upstream.port));
  out.version(11);
  out.keep_alive(true);
  out.prepare_payload();
  return out;
}

Response downstream_response(Response upstream, std::string_view request_id, unsigned version,
                             bool keep_alive, bool head_request) {
  Response out = std::move(upstream);
  const auto length = out.find(http::field::content_length);
  const std::string head_length = length == out.end() ? "" : std::string(length->value());
  strip_hop_by_hop(out.base());
  out.set(kRequestIdHeader, bsv(request_id));
  out.version(version);
  out.keep_alive(keep_alive);
  if (head_request) {
    // No body was sent: keep the length the service announced for it.
    if (!head_length.empty()) out.set(http::field::content_length, head_length);
  } else {
    out.prepare_payload();  // the body was read whole: chunked framing becomes a length
  }
  return out;
}

}  // namespace velocity::gateway
