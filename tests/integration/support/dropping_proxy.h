// DroppingProxy: a TCP proxy on a free 127.0.0.1 port between Kafka clients and one broker that
// forwards every frame unchanged, except that it swallows some Produce responses: it reads the
// broker's answer (so the batch is already appended) and, instead of passing it on, closes
// that client connection. The client cannot tell whether its batch landed and must retry —
// the case idempotent producers exist for. It drops produce responses 1, 3, 5, ... (counted over
// all connections) until `drops` were dropped. Plain sockets, two threads per connection; all
// joined by the destructor. Public methods are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace velocity::testing {

class DroppingProxy {
 public:
  // Listens at once, so its port can be given to the broker as the advertised address;
  // connections are accepted only after forward_to().
  [[nodiscard]] static Result<std::unique_ptr<DroppingProxy>> listen(int drops);

  DroppingProxy(const DroppingProxy&) = delete;
  DroppingProxy& operator=(const DroppingProxy&) = delete;
  ~DroppingProxy();

  std::uint16_t port() const { return port_; }
  // Where accepted connections go; starts accepting.
  void forward_to(const std::string& host, std::uint16_t port);
  int dropped() const { return dropped_; }
  int produce_responses() const { return produce_responses_; }

 private:
  struct Link;

  DroppingProxy(int listen_fd, std::uint16_t port, int drops);
  void accept_loop();
  void pump_requests(Link& link);
  void pump_responses(Link& link);
  // True when this produce response is to be swallowed (and counts it).
  bool drop_next_produce_response();

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  int drops_ = 0;
  std::string upstream_host_;
  std::uint16_t upstream_port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> dropped_{0};
  std::atomic<int> produce_responses_{0};
  std::thread acceptor_;
  std::mutex mutex_;  // guards links_
  std::vector<std::unique_ptr<Link>> links_;
};

}  // namespace velocity::testing
