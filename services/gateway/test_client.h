// Test clients for the gateway's tests: an HTTP/1.1 client over one kept-alive connection and a
// Server-Sent Events reader, both with a deadline on every wait so a broken gateway fails a test
// instead of hanging it; and a fake upstream service that records what it receives. Built on
// Boost.Beast; each object is used from one test thread (the fake runs its own thread).
// Header-only, test code only.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/http.h"

namespace velocity::gateway::testing {

constexpr std::chrono::seconds kWait{20};

// One connection to 127.0.0.1:port. Every call runs the io_context until its operation ends
// or `timeout` passes (then the operation is cancelled and the call reports failure).
class TestClient {
 public:
  explicit TestClient(uint16_t port) : stream_(io_) {
    beast::error_code ec;
    stream_.socket().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }

  // Sends a request and reads its response; nullopt on any error or timeout.
  std::optional<Response> send(Request request, std::chrono::milliseconds timeout = kWait) {
    if (request.find(http::field::host) == request.end())
      request.set(http::field::host, "127.0.0.1");
    request.prepare_payload();
    beast::error_code ec;
    run([&] { http::async_write(stream_, request, [&](beast::error_code e, size_t) { ec = e; }); },
        timeout);
    if (ec) return std::nullopt;
    return read_response(timeout);
  }

  std::optional<Response> get(std::string target,
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request{http::verb::get, target, 11};
    for (auto& [name, value] : headers) request.set(name, value);
    return send(std::move(request));
  }

  // Sends raw bytes (for malformed requests).
  bool send_raw(std::string_view bytes, std::chrono::milliseconds timeout = kWait) {
    beast::error_code ec;
    run(
        [&] {
          asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                            [&](beast::error_code e, size_t) { ec = e; });
        },
        timeout);
    return !ec;
  }

  std::optional<Response> read_response(std::chrono::milliseconds timeout = kWait) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code ec;
    run(
        [&] {
          http::async_read(stream_, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
        },
        timeout);
    if (ec) return std::nullopt;
    return parser.release();
  }

  // True when the server closed the connection (EOF) before `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout = kWait) {
    beast::error_code ec;
    std::array<char, 1024> scratch{};
    while (!ec) {
      run(
          [&] {
            stream_.async_read_some(asio::buffer(scratch),
                                    [&](beast::error_code e, size_t) { ec = e; });
          },
          timeout);
      if (ec == asio::error::operation_aborted) return false;
    }
    return true;
  }

 protected:
  // Runs one operation for at most `timeout`; an operation still pending then is cancelled
  // (it completes with operation_aborted) and the connection stays open.
  template <typename Start>
  void run(Start start, std::chrono::milliseconds timeout) {
    start();
    io_.restart();
    io_.run_for(timeout);
    if (!io_.stopped()) {
      beast::error_code ignored;
      stream_.socket().cancel(ignored);
      io_.restart();
      io_.run();
    }
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

// A Server-Sent Events stream: open() sends the request and reads the response header; events
// are parsed from the chunked body as it arrives (comments and retry lines are skipped).
class SseReader : public TestClient {
 public:
  using TestClient::TestClient;

  // The response status (0 on failure). For a non-200 answer, body() holds its body.
  unsigned open(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::accept, "text/event-stream");
    for (auto& [name, value] : headers) request.set(name, value);
    beast::error_code ec;
    run([&] { http::async_write(stream_, request, [&](beast::error_code e, size_t) { ec = e; }); },
        kWait);
    if (ec) return 0;
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_.on_chunk_body(on_chunk_);
    run(
        [&] {
          http::async_read_header(stream_, buffer_, parser_,
                                  [&](beast::error_code e, size_t) { ec = e; });
        },
        kWait);
    if (ec) return 0;
    if (parser_.get().result() != http::status::ok) {
      run(
          [&] {
            http::async_read(stream_, buffer_, parser_,
                             [&](beast::error_code e, size_t) { ec = e; });
          },
          kWait);
      body_ = parser_.get().body();
    }
    return parser_.get().result_int();
  }

  const http::response_header<>& header() { return parser_.get().base(); }
  const std::string& body() const { return body_; }

  // Reads until `count` events arrived in total (since open) or the stream ends or `timeout`
  // passes; returns every event so far.
  std::vector<SseEvent> read_events(size_t count, std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (parse(), events_.size() < count && !ended_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      beast::error_code ec;
      run(
          [&] {
            http::async_read_some(stream_, buffer_, parser_,
                                  [&](beast::error_code e, size_t) { ec = e; });
          },
          left);
      if (ec == asio::error::operation_aborted) break;
      if (ec || parser_.is_done()) ended_ = true;
    }
    parse();
    return events_;
  }

  // Reads until the server ends the stream (last chunk or close) or `timeout` passes.
  bool wait_ended(std::chrono::milliseconds timeout = kWait) {
    read_events(SIZE_MAX, timeout);
    return ended_;
  }
  // Whether the stream ended with its terminating chunk (a clean end), not a bare close.
  bool ended_cleanly() const { return parser_.is_done(); }
  // Comment lines seen so far (": heartbeat").
  size_t comments() const { return comments_; }

 private:
  void parse() {
    for (size_t end; (end = text_.find("\n\n")) != std::string::npos;) {
      const std::string block = text_.substr(0, end);
      text_.erase(0, end + 2);
      SseEvent event;
      bool any = false;
      size_t start = 0;
      while (start <= block.size()) {
        size_t eol = block.find('\n', start);
        if (eol == std::string::npos) eol = block.size();
        const std::string line = block.substr(start, eol - start);
        start = eol + 1;
        if (line.empty()) continue;
        if (line.front() == ':') {
          ++comments_;
          continue;
        }
        const size_t colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (field == "id") event.id = value, any = true;
        if (field == "event") event.event = value, any = true;
        if (field == "data") event.data += value, any = true;
      }
      if (any && !event.event.empty()) events_.push_back(std::move(event));
    }
  }

  std::string text_;
  // The parser keeps a reference to its chunk callback, so the callback is a member.
  std::function<size_t(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_ =
      [this](std::uint64_t, beast::string_view body, beast::error_code&) {
        text_.append(body.data(), body.size());
        return body.size();
      };
  http::response_parser<http::string_body> parser_;
  std::string body_;
  std::vector<SseEvent> events_;
  size_t comments_ = 0;
  bool ended_ = false;
};

// A stand-in for one service: answers every request with `respond` (default: 200 echoing
// method and target as JSON) and records each request it got. With `silent`, it reads
// requests and never answers (for timeouts).
class FakeUpstream {
 public:
  using Responder = std::function<Response(const Request&)>;

  explicit FakeUpstream(Responder respond = {}, bool silent = false)
      : respond_(std::move(respond)), silent_(silent), acceptor_(io_) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeUpstream() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  size_t connections() const { return connections_; }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket socket, FakeUpstream& server) : stream(std::move(socket)), owner(server) {}
    void read() {
      request = {};
      http::async_read(
          stream, buffer, request, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return;
            {
              std::lock_guard lock(self->owner.mutex_);
              self->owner.requests_.push_back(self->request);
            }
            if (self->owner.silent_) return self->read();
            self->response =
                self->owner.respond_ ? self->owner.respond_(self->request) : echo(self->request);
            self->response.keep_alive(self->request.keep_alive());
            self->response.prepare_payload();
            http::async_write(self->stream, self->response, [self](beast::error_code e, size_t) {
              if (!e) self->read();
            });
          });
    }
    static Response echo(const Request& request) {
      Response response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json");
      response.body() = "{\"method\":\"" + std::string(request.method_string()) +
                        "\",\"target\":\"" + std::string(request.target()) + "\"}";
      return response;
    }
    beast::tcp_stream stream;
    FakeUpstream& owner;
    beast::flat_buffer buffer;
    Request request;
    Response response;
  };

  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++connections_;
      std::make_shared<Session>(std::move(socket), *this)->read();
      accept();
    });
  }

  Responder respond_;
  bool silent_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  std::atomic<size_t> connections_{0};
};

}  // namespace velocity::gateway::testing
