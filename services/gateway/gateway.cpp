#include "gateway/gateway.h"

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
#include "gateway/connection.h"
#include "gateway/context.h"
#include "gateway/event_feed.h"
#include "gateway/http.h"
#include "velocity/service.h"

namespace velocity::gateway {
namespace {

void log_failure(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::error("connection ended by an exception: {}", e.what());
  }
}

}  // namespace

struct Gateway::Impl {
  // Destroyed last: connections still queued on `io` when it is destroyed refer to it.
  std::unique_ptr<Context> context;
  asio::io_context io;
  // The acceptor and its loop live on one strand, so stop() can close it from any thread.
  asio::strand<asio::io_context::executor_type> accept_strand{io.get_executor()};
  tcp::acceptor acceptor{accept_strand};
  std::vector<std::thread> threads;
  std::unique_ptr<EventFeed> feed;
  uint16_t port = 0;
  std::once_flag stopped;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(io), into(ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors, or the peer gave up before we accepted: keep accepting.
        log::warn("accept: {}", ec.message());
        continue;
      }
      if (context->connections.size() >= context->config.max_connections) {
        log::warn("refusing a connection over the limit of {}", context->config.max_connections);
        continue;  // the socket closes as it goes out of scope
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto executor = socket.get_executor();
      auto connection = std::make_shared<Connection>(std::move(socket), *context);
      asio::co_spawn(executor, Connection::run(std::move(connection)), log_failure);
    }
  }
};

Result<std::unique_ptr<Gateway>> Gateway::start(GatewayConfig config, Subscriber& subscriber,
                                                metrics::Registry& registry,
                                                const config::Env& env) {
  auto impl = std::make_unique<Impl>();
  auto keys = shop::load_verifying_key(config.data_dir, env);
  if (!keys) return std::unexpected(keys.error());
  auto edge_key = load_edge_key(config.data_dir, env);
  if (!edge_key) return std::unexpected(edge_key.error());

  impl->context = std::make_unique<Context>(std::move(config), registry);
  Context& ctx = *impl->context;
  ctx.keys = std::move(*keys);
  ctx.edge_key = std::move(*edge_key);
  for (const auto& [service, endpoint] : ctx.config.upstreams) {
    ctx.upstreams.emplace(
        service, std::make_unique<UpstreamPool>(service, endpoint, ctx.config.upstream_timeout,
                                                impl->io.get_executor()));
  }
  auto consuming = ctx.readiness.add_flag("consuming the public topics");
  add_ops_routes(ctx.ops_routes, ctx.readiness, registry);

  const std::string where = ctx.config.listen.host + ":" + std::to_string(ctx.config.listen.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(ctx.config.listen.host, ec);
  if (ec)
    return fail(ErrorCode::kInvalidArgument,
                "gateway: listen address " + where + ": " + ec.message());
  const tcp::endpoint endpoint(address, ctx.config.listen.port);
  if (impl->acceptor.open(endpoint.protocol(), ec); ec) {
    return fail(ErrorCode::kIo, "gateway: open " + where + ": " + ec.message());
  }
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (impl->acceptor.bind(endpoint, ec); ec)
    return fail(ErrorCode::kIo, "gateway: bind " + where + ": " + ec.message());
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return fail(ErrorCode::kIo, "gateway: listen " + where + ": " + ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();

  auto feed = EventFeed::start(subscriber, ctx.hub);
  if (!feed) return std::unexpected(feed.error());
  impl->feed = std::move(*feed);
  consuming->store(true);

  asio::co_spawn(impl->accept_strand, impl->accept_loop(), log_failure);
  const size_t threads = std::max<size_t>(1, ctx.config.threads);
  for (size_t i = 0; i < threads; ++i) {
    impl->threads.emplace_back([io = &impl->io] {
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          log::error("{}", e.what());
        }
      }
    });
  }
  log::info("gateway listening on {}:{}, storefront from {}", ctx.config.listen.host, impl->port,
            ctx.static_files.root().string());
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() {
  stop(std::chrono::milliseconds(0));
}

uint16_t Gateway::port() const {
  return impl_->port;
}

EventHub& Gateway::hub() {
  return impl_->context->hub;
}

const ops::Readiness& Gateway::readiness() const {
  return impl_->context->readiness;
}

size_t Gateway::open_connections() const {
  return impl_->context->connections.size();
}

const std::string& Gateway::event_group() const {
  return impl_->feed->group();
}

void Gateway::stop(std::chrono::milliseconds grace) {
  std::call_once(impl_->stopped, [&] {
    Context& ctx = *impl_->context;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    ctx.stopping = true;
    asio::post(impl_->accept_strand, [impl = impl_.get()] {
      beast::error_code ignored;
      impl->acceptor.close(ignored);
    });
    ctx.hub.close_all();
    for (const auto& connection : ctx.connections.snapshot()) connection->close_if_idle();
    if (!ctx.connections.wait_empty(deadline)) {
      log::warn("{} connections still open after the grace period; closing them",
                ctx.connections.size());
    }
    impl_->io.stop();
    for (auto& thread : impl_->threads) {
      if (thread.joinable()) thread.join();
    }
    for (auto& [service, pool] : ctx.upstreams) pool->clear();
    if (impl_->feed) impl_->feed->stop();
    log::info("gateway stopped");
  });
}

}  // namespace velocity::gateway
