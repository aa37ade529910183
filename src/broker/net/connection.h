// One client connection: a read loop that frames requests and dispatches them, and a write
// loop that sends replies strictly in request order. Owned by shared_ptr so that replies
// arriving after a close find a live object and are dropped. Event-loop thread only.
#pragma once

#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker/net/request_handler.h"
#include "broker/net/server.h"

namespace velocity::net {

// The server-wide budget of request bytes read but not answered (ServerConfig::
// max_queued_request_bytes). Connections over budget wait; releasing bytes wakes them all.
class RequestBudget {
 public:
  explicit RequestBudget(size_t limit) : limit_(limit) {}
  bool admits(size_t bytes) const { return used_ == 0 || used_ + bytes <= limit_; }
  void take(size_t bytes) { used_ += bytes; }
  void release(size_t bytes);
  void wait(std::function<void()> wake) { waiters_.push_back(std::move(wake)); }
  size_t used() const { return used_; }

 private:
  size_t limit_;
  size_t used_ = 0;
  std::vector<std::function<void()>> waiters_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, const ServerConfig& config,
             RequestHandler& handler, uint64_t id, std::function<void(uint64_t)> on_closed,
             std::shared_ptr<RequestBudget> budget);

  void start();
  // Stop reading new requests; close once every request already read has been answered.
  void drain();
  // Close now.
  void close(const std::string& reason);

  const ConnectionInfo& info() const { return info_; }

 private:
  struct Slot {
    bool ready = false;
    size_t request_bytes = 0;  // held in the budget until the reply is taken for writing
    Reply reply;
  };

  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void complete(uint64_t seq, Reply reply);
  void wake(boost::asio::steady_timer& timer);

  boost::asio::ip::tcp::socket socket_;
  const ServerConfig& config_;
  RequestHandler& handler_;
  ConnectionInfo info_;
  std::function<void(uint64_t)> on_closed_;
  std::shared_ptr<RequestBudget> budget_;

  // Replies for requests seq_base_ .. seq_base_ + slots_.size() - 1, oldest first.
  std::deque<Slot> slots_;
  uint64_t seq_base_ = 0;
  uint64_t next_seq_ = 0;

  // Bytes received but not yet taken as requests: inbuf_[in_begin_, in_end_).
  std::vector<std::byte> inbuf_ = std::vector<std::byte>(16 << 10);
  size_t in_begin_ = 0;
  size_t in_end_ = 0;

  boost::asio::steady_timer write_wakeup_;
  boost::asio::steady_timer read_wakeup_;
  bool closed_ = false;
  bool draining_ = false;
  bool close_after_flush_ = false;
  std::string close_reason_;
};

}  // namespace velocity::net
