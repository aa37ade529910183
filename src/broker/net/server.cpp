#include "broker/net/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <unordered_map>

#include "broker/net/connection.h"
#include "common/log.h"

namespace velocity::net {

namespace asio = boost::asio;
using asio::ip::tcp;

class Server::Impl {
 public:
  Impl(asio::io_context& io, ServerConfig config, RequestHandler& handler)
      : io_(io),
        config_(std::move(config)),
        handler_(handler),
        acceptor_(io),
        drain_timer_(io),
        budget_(std::make_shared<RequestBudget>(config_.max_queued_request_bytes)) {}

  Result<uint16_t> start() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config_.host, ec);
    if (ec) {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(config_.host, std::to_string(config_.port), ec);
      if (ec || results.empty()) {
        return fail(ErrorCode::kInvalidArgument, "cannot resolve listen host '" + config_.host + "'");
      }
      address = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint(address, config_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fail(ErrorCode::kIo, "listen on " + config_.host + ":" + std::to_string(config_.port) +
                                      ": " + ec.message());
    }
    auto port = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    return port;
  }

  void stop(int64_t drain_ms, std::function<void()> done) {
    stopping_ = true;
    on_stopped_ = std::move(done);
    boost::system::error_code ec;
    acceptor_.close(ec);
    if (connections_.empty()) {
      finish();
      return;
    }
    // Copy: draining may close connections, which erases them from the map.
    auto snapshot = connections_;
    for (auto& [id, connection] : snapshot) connection->drain();
    drain_timer_.expires_after(std::chrono::milliseconds(drain_ms));
    drain_timer_.async_wait([this](boost::system::error_code wait_ec) {
      if (wait_ec) return;
      auto remaining = connections_;
      for (auto& [id, connection] : remaining) connection->close("shutdown: drain time is over");
    });
  }

  size_t connection_count() const { return connections_.size(); }

 private:
  asio::awaitable<void> accept_loop() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) co_return;
        // Out of descriptors or a similar transient failure: keep serving who is connected.
        log::warn("accept failed: {}", ec.message());
        asio::steady_timer pause(io_, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      uint64_t id = ++last_id_;
      auto connection = std::make_shared<Connection>(std::move(socket), config_, handler_, id,
                                                     [this](uint64_t closed) { on_closed(closed); }, budget_);
      connections_.emplace(id, connection);
      connection->start();
    }
  }

  void on_closed(uint64_t id) {
    connections_.erase(id);
    if (stopping_ && connections_.empty()) finish();
  }

  void finish() {
    drain_timer_.cancel();
    if (on_stopped_) {
      auto done = std::move(on_stopped_);
      on_stopped_ = nullptr;
      asio::post(io_, std::move(done));
    }
  }

  asio::io_context& io_;
  ServerConfig config_;
  RequestHandler& handler_;
  tcp::acceptor acceptor_;
  asio::steady_timer drain_timer_;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
  uint64_t last_id_ = 0;
  std::shared_ptr<RequestBudget> budget_;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
};

Server::Server(asio::io_context& io, ServerConfig config, RequestHandler& handler)
    : impl_(std::make_unique<Impl>(io, std::move(config), handler)) {}

Server::~Server() = default;

Result<uint16_t> Server::start() { return impl_->start(); }

void Server::stop(int64_t drain_ms, std::function<void()> done) { impl_->stop(drain_ms, std::move(done)); }

size_t Server::connection_count() const { return impl_->connection_count(); }

}  // namespace velocity::net
