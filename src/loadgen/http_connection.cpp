#include "loadgen/http_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>

namespace velocity::loadgen {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpConnection::Impl {
  std::string host;
  std::string port;
  std::chrono::milliseconds timeout;
  boost::asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  tcp::resolver::results_type endpoints;

  void close() {
    if (stream) {
      beast::error_code ec;
      stream->socket().shutdown(tcp::socket::shutdown_both, ec);
      stream->socket().close(ec);
    }
    stream.reset();
    buffer.clear();
  }

  // One attempt; `reused` tells whether the connection was open before it.
  HttpResponse attempt(const http::request<http::string_body>& request, bool& reused) {
    HttpResponse out;
    beast::error_code ec;
    reused = stream.has_value();
    if (!stream) {
      if (endpoints.empty()) {
        tcp::resolver resolver(io);
        endpoints = resolver.resolve(host, port, ec);
        if (ec) {
          out.error = "resolve " + host + ": " + ec.message();
          return out;
        }
      }
      stream.emplace(io);
      stream->expires_after(timeout);
      stream->connect(endpoints, ec);
      if (ec) {
        out.error = "connect " + host + ":" + port + ": " + ec.message();
        close();
        return out;
      }
    }
    stream->expires_after(timeout);
    http::write(*stream, request, ec);
    if (ec) {
      out.error = "write: " + ec.message();
      close();
      return out;
    }
    http::response<http::string_body> response;
    http::read(*stream, buffer, response, ec);
    if (ec) {
      out.error = "read: " + ec.message();
      close();
      return out;
    }
    out.status = static_cast<int>(response.result_int());
    out.body = std::move(response.body());
    if (!response.keep_alive()) close();
    return out;
  }
};

HttpConnection::HttpConnection(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = std::to_string(port);
  impl_->timeout = timeout;
}

HttpConnection::~HttpConnection() {
  impl_->close();
}

HttpResponse HttpConnection::request(const std::string& method, const std::string& target,
                                     const std::string& body, const HttpHeaders& headers) {
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, impl_->host);
  request.keep_alive(true);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  bool reused = false;
  auto response = impl_->attempt(request, reused);
  // A keep-alive connection the server closed while idle fails on first use: once more, fresh.
  if (response.status == 0 && reused) response = impl_->attempt(request, reused);
  return response;
}

bool parse_http_url(const std::string& url, std::string& host, uint16_t& port) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  std::string rest = url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (rest.empty()) return false;
  port = 80;
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    const std::string digits = rest.substr(colon + 1);
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || value == 0 || value > 65535)
      return false;
    port = static_cast<uint16_t>(value);
    rest.resize(colon);
  }
  if (rest.empty()) return false;
  host = rest;
  return true;
}

}  // namespace velocity::loadgen
