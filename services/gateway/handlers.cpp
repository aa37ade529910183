#include "gateway/handlers.h"

#include <nlohmann/json.hpp>

#include "gateway/forwarding.h"
#include "gateway/identity.h"

namespace velocity::gateway {

unsigned status_of(const Reply& reply) {
  return std::visit([](const auto& r) { return r.result_int(); }, reply);
}

Response error_reply(http::status status, std::string_view message, unsigned version,
                     bool keep_alive) {
  return json_response(status, nlohmann::json{{"error", message}}.dump(), version, keep_alive);
}

Response ops_reply(Context& context, const Request& request, bool keep_alive) {
  ops::HttpRequest in;
  in.method = std::string(request.method_string());
  in.target = std::string(request.target());
  for (const auto& field : request) {
    in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  ops::HttpResponse out = context.ops_routes.handle(in);
  Response response{static_cast<http::status>(out.status), request.version()};
  response.set(http::field::content_type, out.content_type);
  response.set(http::field::cache_control, "no-store");
  for (auto& [name, value] : out.headers) response.set(name, value);
  response.body() = std::move(out.body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

Reply static_reply(Context& context, const Request& request, bool keep_alive) {
  const unsigned version = request.version();
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    Response response =
        error_reply(http::status::method_not_allowed, "method not allowed", version, keep_alive);
    response.set(http::field::allow, "GET, HEAD");
    return response;
  }
  auto file = context.static_files.resolve(ssv(request.target()));
  if (!file) return error_reply(http::status::not_found, "not found", version, keep_alive);

  auto common = [&](auto& response) {
    response.set(http::field::etag, file->etag);
    response.set(http::field::last_modified, file->last_modified);
    response.set(http::field::cache_control, file->cache_control);
    response.set("X-Content-Type-Options", "nosniff");
    response.keep_alive(keep_alive);
  };
  if (auto inm = request.find(http::field::if_none_match);
      inm != request.end() && etag_matches(ssv(inm->value()), file->etag)) {
    EmptyResponse response{http::status::not_modified, version};
    common(response);
    return response;
  }
  if (request.method() == http::verb::head) {
    EmptyResponse response{http::status::ok, version};
    common(response);
    response.set(http::field::content_type, file->content_type);
    response.content_length(file->size);
    return response;
  }
  FileResponse response{http::status::ok, version};
  beast::error_code ec;
  response.body().open(file->path.c_str(), beast::file_mode::scan, ec);
  if (ec) return error_reply(http::status::not_found, "not found", version, keep_alive);
  common(response);
  response.set(http::field::content_type, file->content_type);
  response.prepare_payload();
  return response;
}

asio::awaitable<Response> api_reply(Context& context, const std::string& service, Request request,
                                    const std::string& request_id,
                                    const std::string& client_address, bool keep_alive) {
  const unsigned version = request.version();
  const bool head = request.method() == http::verb::head;

  std::optional<std::string> token;
  if (auto it = request.find(http::field::authorization); it != request.end()) {
    token = bearer_token(ssv(it->value()));
  }
  const Authentication auth = authenticate(context.keys, token);
  if (auth.status == Authentication::Status::kExpired ||
      auth.status == Authentication::Status::kInvalid) {
    Response response =
        json_response(http::status::unauthorized, rejection_body(auth.status), version, keep_alive);
    response.set(http::field::www_authenticate, "Bearer error=\"invalid_token\"");
    co_return response;
  }

  const auto pool = context.upstreams.find(service);
  if (pool == context.upstreams.end())
    co_return error_reply(http::status::not_found, "not found", version, keep_alive);
  ForwardHeaders headers;
  if (auth.status == Authentication::Status::kCustomer) {
    headers.customer_id = auth.customer_id;
    headers.edge_key = context.edge_key;
  }
  headers.request_id = request_id;
  headers.traceparent = traceparent_for(request);
  headers.client_address = client_address;
  Request upstream =
      upstream_request(std::move(request), context.config.upstreams.at(service), headers);

  const auto started = std::chrono::steady_clock::now();
  auto answer = co_await pool->second->exchange(std::move(upstream));
  context.upstream_latency(service).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!answer) {
    switch (answer.error()) {
      case UpstreamError::kTimeout:
        co_return error_reply(http::status::gateway_timeout,
                              "the " + service + " service did not answer in time", version,
                              keep_alive);
      case UpstreamError::kBadResponse:
        co_return error_reply(http::status::bad_gateway,
                              "the " + service + " service gave an invalid answer", version,
                              keep_alive);
      case UpstreamError::kUnavailable:
        break;
    }
    co_return error_reply(http::status::service_unavailable,
                          "the " + service + " service is unavailable", version, keep_alive);
  }
  co_return downstream_response(std::move(*answer), request_id, version, keep_alive, head);
}

}  // namespace velocity::gateway
