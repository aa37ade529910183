// The broker's TCP front end: accepts connections on one listener, reads length-prefixed
// request frames, hands them to a RequestHandler and writes the replies back in request
// order per connection, while different connections proceed independently. One event-loop
// thread runs all connections; the server is started and stopped from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "broker/net/request_handler.h"

namespace boost::asio {
class io_context;
}

namespace velocity::net {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 9092;
  // Frames larger than this close the connection (Kafka's socket.request.max.bytes).
  size_t max_request_bytes = 100 * 1024 * 1024;
  // Requests read ahead on one connection before their replies are written; bounds memory.
  size_t max_in_flight_per_connection = 128;
  // Bytes of requests read but not yet answered, over all connections (Kafka's
  // queued.max.request.bytes). Produces waiting for fsync hold their frames; without a bound,
  // memory grows with clients × their in-flight window. Reading pauses above it; one request
  // is always admitted when nothing is in flight, so a request larger than this still works.
  size_t max_queued_request_bytes = 64 * 1024 * 1024;
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerConfig config, RequestHandler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Returns the port actually bound (useful with port 0).
  [[nodiscard]] Result<uint16_t> start();

  // Stops accepting, lets each connection finish the requests it already read (up to
  // `drain_ms`), then closes them all. Must be called on the event-loop thread; `done` runs
  // there once every connection is closed.
  void stop(int64_t drain_ms, std::function<void()> done);

  size_t connection_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace velocity::net
