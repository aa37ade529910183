// Helpers for tests that drive a service over its real HTTP routes: one request on a fresh
// connection, and a bounded poll for asynchronous effects. Header-only, for test executables.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace velocity::testing {

struct HttpReply {
  int status = 0;
  nlohmann::json body;  // discarded (is_discarded()) when the body is not JSON
  std::string raw;      // the body as received
};

// One HTTP/1.1 request to 127.0.0.1:`port`; throws when nothing answers within 30 s.
inline HttpReply http(uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body = {},
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  namespace beast = boost::beast;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  beast::http::request<beast::http::string_body> request(beast::http::string_to_verb(method), target, 11);
  request.set(beast::http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  beast::http::write(stream, request);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> response;
  beast::http::read(stream, buffer, response);
  return HttpReply{static_cast<int>(response.result_int()), nlohmann::json::parse(response.body(), nullptr, false),
                   response.body()};
}

// Polls `done` until it holds or `bound` passes; the bound only keeps a broken run finite.
template <typename F>
bool eventually(F done, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace velocity::testing
