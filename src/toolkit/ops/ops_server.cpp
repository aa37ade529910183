// Acceptor → one Session per connection → Beast's parser → RouteTable. A session has at most
// one operation pending at a time, so its handlers never run concurrently even when the
// io_context runs on several threads; what sessions share is atomic or has its own lock.
#include "velocity/ops_server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>

#include "common/log.h"

namespace velocity::ops {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// How long a connection we are closing may keep sending before we stop draining it.
constexpr std::chrono::milliseconds kDrainTimeout{1000};

struct Shared {
  OpsServerOptions options;
  RouteTable routes;
  std::atomic<size_t> connections{0};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->connections;
  }
  ~Session() { --shared_->connections; }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.header_limit));
    parser_->body_limit(shared_->options.body_limit);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      // The peer left or went quiet: nothing useful to answer.
      close();
      return;
    }
    if (ec == http::error::header_limit)
      return respond(json_error(431, "request header too large"), false);
    if (ec == http::error::body_limit)
      return respond(json_error(413, "request body too large"), false);
    if (ec) return respond(json_error(400, "malformed request: " + ec.message()), false);

    auto request = parser_->release();
    HttpRequest req{std::string(request.method_string()), std::string(request.target()),
                    std::move(request.body()), {}, {}};
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    respond(shared_->routes.handle(std::move(req)), request.keep_alive());
  }

  void respond(HttpResponse response, bool keep_alive) {
    response_ = {};
    response_.result(static_cast<unsigned>(response.status));
    response_.version(11);
    response_.set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) response_.set(name, value);
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(shared_->options.read_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->close();
                        if (keep_alive) return self->read_request();
                        self->drain();
                      });
  }

  // After an answer that ends the connection, stop sending and read what the client still sends
  // until it closes: closing a socket with unread input makes the kernel send a reset, which can
  // destroy our answer before the client reads it.
  void drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTimeout);
    drain_more();
  }

  void drain_more() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->close();
                              self->drain_more();
                            });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::array<char, 4096> scratch_{};
};

}  // namespace

struct OpsServer::Impl {
  // Declared first so it is destroyed last: pending sessions die with it.
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::once_flag stopped;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (shared->connections.load() >= shared->options.max_connections) {
          log::warn("ops server: refusing a connection over the limit of {}",
                    shared->options.max_connections);
        } else {
          std::make_shared<Session>(std::move(socket), shared)->read_request();
        }
      }
      accept();
    });
  }
};

Result<OpsServerOptions> OpsServerOptions::from_env(std::string_view default_bind,
                                                    const config::Env& env) {
  OpsServerOptions options;
  auto bind = env.endpoint("VELOCITY_METRICS_ADDR", default_bind);
  if (!bind) return std::unexpected(bind.error());
  options.bind = *bind;
  auto timeout = env.duration("VELOCITY_METRICS_READ_TIMEOUT", options.read_timeout);
  if (!timeout) return std::unexpected(timeout.error());
  options.read_timeout = *timeout;
  return options;
}

Result<std::unique_ptr<OpsServer>> OpsServer::start(OpsServerOptions options,
                                                    const Readiness& readiness,
                                                    const metrics::Registry& registry) {
  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.bind.host, ec);
  if (ec)
    return fail(ErrorCode::kInvalidArgument,
                "ops server: bind address '" + options.bind.host + "': " + ec.message());
  const tcp::endpoint endpoint(address, options.bind.port);
  const std::string where = options.bind.host + ":" + std::to_string(options.bind.port);
  if (impl->acceptor.open(endpoint.protocol(), ec); ec)
    return fail(ErrorCode::kIo, "ops server: open " + where + ": " + ec.message());
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (impl->acceptor.bind(endpoint, ec); ec)
    return fail(ErrorCode::kIo, "ops server: bind " + where + ": " + ec.message());
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return fail(ErrorCode::kIo, "ops server: listen " + where + ": " + ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->shared->options = std::move(options);
  add_ops_routes(impl->shared->routes, readiness, registry);
  impl->accept();
  const size_t threads = std::max<size_t>(1, impl->shared->options.threads);
  for (size_t i = 0; i < threads; ++i) {
    impl->threads.emplace_back([io = &impl->io] {
      // A handler that throws must not take the endpoint down: log it and keep serving.
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          log::error("ops server: {}", e.what());
        }
      }
    });
  }
  log::info("ops server listening on {}:{}", impl->shared->options.bind.host, impl->port);
  return std::unique_ptr<OpsServer>(new OpsServer(std::move(impl)));
}

OpsServer::OpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpsServer::~OpsServer() {
  stop();
}

void OpsServer::add_route(std::string method, std::string path, RouteHandler handler) {
  impl_->shared->routes.add(std::move(method), std::move(path), std::move(handler));
}

uint16_t OpsServer::port() const {
  return impl_->port;
}

void OpsServer::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->io.stop();
    for (auto& thread : impl_->threads) {
      if (thread.joinable()) thread.join();
    }
    // The threads are gone, so touching the acceptor here races with nothing.
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
}

}  // namespace velocity::ops
