#include "gateway/upstream_pool.h"

#include <boost/asio/connect.hpp>

namespace velocity::gateway {
namespace {

using Clock = std::chrono::steady_clock;

// Services close a keep-alive connection after a few idle seconds (their read timeout); one
// idle longer than this is not worth the failed attempt.
constexpr std::chrono::milliseconds kMaxIdle{2000};
constexpr size_t kResponseBodyLimit = 64 * 1024 * 1024;
constexpr uint32_t kResponseHeaderLimit = 64 * 1024;

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

struct UpstreamPool::Connection {
  explicit Connection(asio::any_io_executor io) : socket(std::move(io)) {}
  tcp::socket socket;
  Clock::time_point idle_since{};
};

// One exchange's time bound: when it fires, it closes whatever connection the exchange is
// using, which ends the pending operation with an error the exchange reports as a timeout.
struct UpstreamPool::Deadline {
  explicit Deadline(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  std::shared_ptr<Connection> current;
  bool fired = false;
};

UpstreamPool::UpstreamPool(std::string service, config::Endpoint endpoint,
                           std::chrono::milliseconds timeout, asio::any_io_executor io,
                           size_t max_idle)
    : service_(std::move(service)),
      endpoint_(std::move(endpoint)),
      timeout_(timeout),
      io_(std::move(io)),
      max_idle_(max_idle) {}

size_t UpstreamPool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

void UpstreamPool::clear() {
  std::vector<std::shared_ptr<Connection>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
  }
  for (auto& c : closing) {
    beast::error_code ignored;
    c->socket.close(ignored);
  }
}

std::shared_ptr<UpstreamPool::Connection> UpstreamPool::take_idle() {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  while (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    if (now - connection->idle_since < kMaxIdle) return connection;
    beast::error_code ignored;
    connection->socket.close(ignored);
  }
  return nullptr;
}

void UpstreamPool::give_back(std::shared_ptr<Connection> connection) {
  connection->idle_since = Clock::now();
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
}

asio::awaitable<std::expected<Response, UpstreamError>> UpstreamPool::exchange(Request request) {
  auto deadline = std::make_shared<Deadline>(co_await asio::this_coro::executor);
  deadline->timer.expires_after(timeout_);
  deadline->timer.async_wait([deadline](beast::error_code ec) {
    if (ec) return;  // cancelled: the exchange finished in time
    deadline->fired = true;
    if (deadline->current) {
      beast::error_code ignored;
      deadline->current->socket.close(ignored);
    }
  });
  struct CancelOnExit {
    std::shared_ptr<Deadline> d;
    ~CancelOnExit() { d->timer.cancel(); }
  } cancel_on_exit{deadline};

  const bool head = request.method() == http::verb::head;
  for (int attempt = 0;; ++attempt) {
    auto connection = attempt == 0 ? take_idle() : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) {
      connection = std::make_shared<Connection>(io_);
      deadline->current = connection;
      beast::error_code ec;
      auto address = asio::ip::make_address(endpoint_.host, ec);
      if (!ec) {
        co_await connection->socket.async_connect(tcp::endpoint(address, endpoint_.port), into(ec));
      } else {
        tcp::resolver resolver(co_await asio::this_coro::executor);
        auto results = co_await resolver.async_resolve(endpoint_.host,
                                                       std::to_string(endpoint_.port), into(ec));
        if (!ec && !deadline->fired)
          co_await asio::async_connect(connection->socket, results, into(ec));
      }
      if (deadline->fired) co_return std::unexpected(UpstreamError::kTimeout);
      if (ec) co_return std::unexpected(UpstreamError::kUnavailable);
      beast::error_code ignored;
      connection->socket.set_option(tcp::no_delay(true), ignored);
    }
    deadline->current = connection;

    beast::error_code ec;
    co_await http::async_write(connection->socket, request, into(ec));
    if (deadline->fired) co_return std::unexpected(UpstreamError::kTimeout);
    if (ec) {
      if (reused) continue;
      co_return std::unexpected(UpstreamError::kUnavailable);
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kResponseBodyLimit);
    parser.header_limit(kResponseHeaderLimit);
    parser.skip(head);
    co_await http::async_read(connection->socket, buffer, parser, into(ec));
    if (deadline->fired) co_return std::unexpected(UpstreamError::kTimeout);
    if (ec) {
      // Nothing came back on a connection that sat idle: the service had closed it.
      if (reused && !parser.got_some()) continue;
      co_return std::unexpected(is_http_error(ec) ? UpstreamError::kBadResponse
                                                  : UpstreamError::kUnavailable);
    }
    Response response = parser.release();
    deadline->current.reset();
    if (response.keep_alive() && buffer.size() == 0) {
      give_back(std::move(connection));
    } else {
      beast::error_code ignored;
      connection->socket.shutdown(tcp::socket::shutdown_both, ignored);
      connection->socket.close(ignored);
    }
    co_return response;
  }
}

}  // namespace velocity::gateway
