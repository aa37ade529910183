#include "gateway/connection.h"

#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.h"
#include "gateway/forwarding.h"
#include "gateway/handlers.h"
#include "gateway/routing.h"
#include "gateway/sse_stream.h"

namespace velocity::gateway {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::milliseconds kDrainTimeout{1000};

// The peer left, reset, or sent nothing in time: there is nobody to answer.
bool is_quiet_end(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == beast::error::timeout ||
         ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor;
}

std::string_view route_class(RouteKind kind) {
  switch (kind) {
    case RouteKind::kOps:
      return "ops";
    case RouteKind::kEvents:
      return "events";
    case RouteKind::kApi:
      return "api";
    case RouteKind::kStatic:
      return "static";
    case RouteKind::kAdminBlocked:
    case RouteKind::kUnknownService:
    case RouteKind::kBadTarget:
      break;
  }
  return "rejected";
}

void access_log(std::string_view method, std::string_view target, unsigned status,
                Clock::duration took, std::string_view request_id) {
  // The path only: a query string may carry a token (EventSource's ?token=).
  const double ms = std::chrono::duration<double, std::milli>(took).count();
  log::info("{} {} {} {:.1f}ms request_id={}", method, target_path(target), status, ms, request_id);
}

}  // namespace

Connection::Connection(tcp::socket socket, Context& context)
    : stream_(std::move(socket)), context_(context) {
  beast::error_code ec;
  const auto remote = stream_.socket().remote_endpoint(ec);
  if (!ec) client_address_ = remote.address().to_string();
}

Connection::~Connection() {
  context_.connections.remove(id_);
}

void Connection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

void Connection::close_if_idle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_) self->close();
  });
}

asio::awaitable<void> Connection::close_gracefully() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(kDrainTimeout);
  std::array<char, 4096> scratch{};
  while (!ec) {
    co_await stream_.async_read_some(asio::buffer(scratch), into(ec));
  }
  close();
}

asio::awaitable<void> Connection::run(std::shared_ptr<Connection> self) {
  Context& ctx = self->context_;
  self->id_ = ctx.connections.add(self);
  beast::flat_buffer buffer;
  for (;;) {
    if (ctx.stopping) break;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(ctx.config.header_limit));
    parser.body_limit(ctx.config.body_limit);
    beast::error_code ec;
    self->stream_.expires_after(ctx.config.read_timeout);
    self->idle_ = buffer.size() == 0;
    co_await http::async_read_header(self->stream_, buffer, parser, into(ec));
    self->idle_ = false;
    const auto started = Clock::now();
    if (!ec && !parser.is_done()) {
      const auto& header = parser.get();
      if (auto expect = header.find(http::field::expect);
          expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, header.version()};
        co_await http::async_write(self->stream_, go_on, into(ec));
      }
      if (!ec) co_await http::async_read(self->stream_, buffer, parser, into(ec));
    }
    if (ec) {
      if (is_quiet_end(ec)) break;
      http::status status = http::status::bad_request;
      std::string message = "malformed request: " + ec.message();
      if (ec == http::error::header_limit) {
        status = http::status::request_header_fields_too_large;
        message = "request header too large";
      } else if (ec == http::error::body_limit) {
        status = http::status::payload_too_large;
        message = "request body too large (the limit is " + std::to_string(ctx.config.body_limit) +
                  " bytes)";
      }
      Response response = error_reply(status, message, 11, false);
      self->stream_.expires_after(kWriteTimeout);
      co_await http::async_write(self->stream_, response, into(ec));
      access_log("-", "-", response.result_int(), Clock::now() - started, "-");
      ctx.count_request("malformed", response.result_int(), Clock::now() - started);
      co_await self->close_gracefully();
      co_return;
    }

    Request request = parser.release();
    const std::string method(request.method_string());
    const std::string target(request.target());
    const Route route = classify(target);
    const std::string request_id = request_id_for(request);
    strip_identity_headers(request);
    const bool keep_alive = request.keep_alive() && !ctx.stopping;
    const unsigned version = request.version();

    if (route.kind == RouteKind::kEvents) {
      const unsigned status = co_await stream_events(self, std::move(request), request_id);
      access_log(method, target, status, Clock::now() - started, request_id);
      ctx.count_request("events", status, Clock::now() - started);
      co_return;  // an event stream ends its connection
    }

    Reply reply;
    switch (route.kind) {
      case RouteKind::kOps:
        reply = ops_reply(ctx, request, keep_alive);
        break;
      case RouteKind::kApi:
        reply = co_await api_reply(ctx, route.service, std::move(request), request_id,
                                   self->client_address_, keep_alive);
        break;
      case RouteKind::kStatic:
        reply = static_reply(ctx, request, keep_alive);
        break;
      case RouteKind::kAdminBlocked:
      case RouteKind::kUnknownService:
        reply = error_reply(http::status::not_found, "not found", version, keep_alive);
        break;
      case RouteKind::kBadTarget:
      case RouteKind::kEvents:
        reply =
            error_reply(http::status::bad_request, "invalid request target", version, keep_alive);
        break;
    }
    const unsigned status = status_of(reply);
    // A stop that began while the request was handled closes the connection after it.
    const bool keep_open = keep_alive && !ctx.stopping;
    std::visit([&](auto& r) { r.keep_alive(keep_open); }, reply);
    self->stream_.expires_after(kWriteTimeout);
    if (auto* r = std::get_if<Response>(&reply)) {
      r->set(kRequestIdHeader, request_id);
      co_await http::async_write(self->stream_, *r, into(ec));
    } else if (auto* f = std::get_if<FileResponse>(&reply)) {
      f->set(kRequestIdHeader, request_id);
      co_await http::async_write(self->stream_, *f, into(ec));
    } else if (auto* e = std::get_if<EmptyResponse>(&reply)) {
      e->set(kRequestIdHeader, request_id);
      co_await http::async_write(self->stream_, *e, into(ec));
    }
    access_log(method, target, status, Clock::now() - started, request_id);
    ctx.count_request(route_class(route.kind), status, Clock::now() - started);
    if (ec) break;
    if (!keep_open) {
      co_await self->close_gracefully();
      co_return;
    }
  }
  self->close();
}

}  // namespace velocity::gateway
