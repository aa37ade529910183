// One browser connection: a straight-line coroutine that reads a request with Beast's parser
// (bounded header, body and time), answers it through the handlers or turns the connection
// into an event stream, writes the answer and loops while keep-alive allows. Malformed,
// oversize and slow requests end only their own connection, with a JSON error where one can
// still be written. Runs on its own strand; close_if_idle() may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/context.h"
#include "gateway/http.h"

namespace velocity::gateway {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `socket` must be bound to a strand of its own.
  Connection(tcp::socket socket, Context& context);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Serves the connection until it closes. Keeps `self` alive meanwhile.
  static asio::awaitable<void> run(std::shared_ptr<Connection> self);

  // For a graceful stop: closes the connection if it is waiting for a request (a request in
  // progress finishes, then the connection closes because the gateway is stopping).
  void close_if_idle();

  beast::tcp_stream& stream() { return stream_; }
  Context& context() { return context_; }
  const std::string& client_address() const { return client_address_; }

  // Closes the socket at once (no answer).
  void close();
  // Stops sending, then reads and discards what the client still sends for a moment, so that
  // closing does not reset the connection before the client has read our last answer.
  asio::awaitable<void> close_gracefully();

 private:
  beast::tcp_stream stream_;
  Context& context_;
  std::string client_address_;
  uint64_t id_ = 0;    // in context_.connections; 0 until run() starts
  bool idle_ = false;  // waiting for the first byte of a request; touched on the strand only
};

}  // namespace velocity::gateway
