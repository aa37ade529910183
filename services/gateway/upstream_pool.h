// UpstreamPool: the gateway's HTTP/1.1 client for one service, keeping idle connections open
// for the next request (keep-alive). One exchange = one request and its response within the
// upstream timeout; a connection that was reused and fails before any byte of the answer (the
// service closed it while it sat idle) is replaced by a fresh one, once.
// Thread-safe: exchanges run on any coroutine, each on its own strand (the timeout handler and
// the exchange then never run at the same time); the idle list has its own lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/http.h"
#include "velocity/config.h"

namespace velocity::gateway {

enum class UpstreamError {
  kUnavailable,  // refused, reset or closed: 503
  kTimeout,      // no complete answer within the timeout: 504
  kBadResponse,  // an answer that is not HTTP: 502
};

class UpstreamPool {
 public:
  UpstreamPool(std::string service, config::Endpoint endpoint, std::chrono::milliseconds timeout,
               asio::any_io_executor io, size_t max_idle = 64);

  // Sends `request` (complete, with Host and Content-Length set) and reads the response.
  asio::awaitable<std::expected<Response, UpstreamError>> exchange(Request request);

  const std::string& service() const { return service_; }
  size_t idle() const;
  // Closes every idle connection (shutdown).
  void clear();

 private:
  struct Connection;
  struct Deadline;

  std::shared_ptr<Connection> take_idle();
  void give_back(std::shared_ptr<Connection> connection);

  const std::string service_;
  const config::Endpoint endpoint_;
  const std::chrono::milliseconds timeout_;
  asio::any_io_executor io_;
  const size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Connection>> idle_;
};

}  // namespace velocity::gateway
