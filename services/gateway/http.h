// The Boost.Beast/Asio names the gateway's network code shares, and small builders for the
// JSON answers it gives itself. Header-only; thread-safe as values are.
#pragma once

// clang-format off
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>: it comes first.
#include <utility>
// clang-format on

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

namespace velocity::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Beast (Boost 1.74) takes boost::string_view, which does not convert from std::string_view.
inline beast::string_view bsv(std::string_view text) {
  return {text.data(), text.size()};
}
inline std::string_view ssv(beast::string_view text) {
  return {text.data(), text.size()};
}

// A completion token that leaves the error in `ec` instead of throwing.
inline auto into(beast::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// A JSON answer: `body` is already serialised JSON.
inline Response json_response(http::status status, std::string body, unsigned version,
                              bool keep_alive) {
  Response response{status, version};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

}  // namespace velocity::gateway
