#include "gateway/sse_stream.h"

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "gateway/forwarding.h"
#include "gateway/handlers.h"
#include "gateway/identity.h"
#include "gateway/routing.h"

namespace velocity::gateway {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kWriteTimeout{30};
// How long the browser waits before reconnecting after the stream ends.
constexpr std::string_view kPreamble = "retry: 2000\n: connected\n\n";
constexpr std::string_view kHeartbeat = ": heartbeat\n\n";
constexpr std::string_view kSessionExpired = "event: session_expired\ndata: {}\n\n";

// What the writer waits on: the hub's waker and the peer watcher cancel `wake`.
struct StreamState {
  explicit StreamState(asio::any_io_executor executor) : wake(std::move(executor)) {}
  asio::steady_timer wake;
  bool peer_gone = false;
  std::shared_ptr<SseClient> client;
};

std::string unauthenticated_body() {
  return nlohmann::json{{"error", "sign in to receive live updates"}, {"code", "unauthenticated"}}
      .dump();
}

std::optional<uint64_t> parse_event_id(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Reads (and ignores) what the browser sends, only to notice at once when it goes away.
asio::awaitable<void> watch_peer(std::shared_ptr<Connection> connection,
                                 std::shared_ptr<StreamState> state) {
  std::array<char, 256> scratch{};
  beast::error_code ec;
  while (!ec) {
    co_await connection->stream().socket().async_read_some(asio::buffer(scratch), into(ec));
  }
  state->peer_gone = true;
  state->wake.cancel();
}

asio::awaitable<beast::error_code> write_chunk(beast::tcp_stream& stream, std::string_view bytes) {
  beast::error_code ec;
  stream.expires_after(kWriteTimeout);
  const auto chunk = http::make_chunk(asio::buffer(bytes.data(), bytes.size()));
  co_await asio::async_write(stream, chunk, into(ec));
  co_return ec;
}

}  // namespace

asio::awaitable<unsigned> stream_events(std::shared_ptr<Connection> connection, Request request,
                                        std::string request_id) {
  Context& ctx = connection->context();
  auto& stream = connection->stream();
  const unsigned version = request.version();
  beast::error_code ec;

  auto refuse = [&](Response response) -> asio::awaitable<unsigned> {
    response.set(kRequestIdHeader, request_id);
    response.keep_alive(false);
    beast::error_code write_ec;
    stream.expires_after(kWriteTimeout);
    co_await http::async_write(stream, response, into(write_ec));
    co_await connection->close_gracefully();
    co_return response.result_int();
  };

  if (request.method() != http::verb::get) {
    Response response =
        error_reply(http::status::method_not_allowed, "method not allowed", version, false);
    response.set(http::field::allow, "GET");
    co_return co_await refuse(std::move(response));
  }
  std::optional<std::string> token;
  if (auto it = request.find(http::field::authorization); it != request.end()) {
    token = bearer_token(ssv(it->value()));
  }
  if (!token) {
    if (std::string query_token = query_parameter(ssv(request.target()), "token");
        !query_token.empty()) {
      token = std::move(query_token);
    }
  }
  const Authentication auth = authenticate(ctx.keys, token);
  if (auth.status == Authentication::Status::kAnonymous) {
    // Built before the co_await: GCC 12 rejects string-literal temporaries inside one.
    Response response =
        json_response(http::status::unauthorized, unauthenticated_body(), version, false);
    co_return co_await refuse(std::move(response));
  }
  if (auth.status != Authentication::Status::kCustomer) {
    Response response =
        json_response(http::status::unauthorized, rejection_body(auth.status), version, false);
    co_return co_await refuse(std::move(response));
  }

  std::optional<uint64_t> last_event_id;
  if (auto it = request.find("Last-Event-ID"); it != request.end()) {
    last_event_id = parse_event_id(ssv(it->value()));
  } else if (std::string query_id = query_parameter(ssv(request.target()), "lastEventId");
             !query_id.empty()) {
    last_event_id = parse_event_id(query_id);
  }

  const auto executor = co_await asio::this_coro::executor;
  auto state = std::make_shared<StreamState>(executor);
  auto waker = [weak = std::weak_ptr<StreamState>(state),
                weak_connection = std::weak_ptr<Connection>(connection), executor] {
    asio::post(executor, [weak, weak_connection] {
      auto s = weak.lock();
      if (!s) return;
      s->wake.cancel();
      // A client too far behind is usually stuck in a write to a full socket: closing the socket
      // ends that write now instead of at its timeout.
      if (s->client && s->client->ended() == SseClient::End::kSlow) {
        if (auto c = weak_connection.lock()) c->close();
      }
    });
  };
  auto client = ctx.hub.attach(auth.customer_id, last_event_id, waker);
  state->client = client;

  http::response<http::empty_body> header{http::status::ok, version};
  header.set(http::field::content_type, "text/event-stream");
  header.set(http::field::cache_control, "no-store");
  header.set("X-Accel-Buffering", "no");
  header.set(kRequestIdHeader, request_id);
  header.keep_alive(true);
  header.chunked(true);
  http::response_serializer<http::empty_body> serializer(header);
  stream.expires_after(kWriteTimeout);
  co_await http::async_write_header(stream, serializer, into(ec));
  if (!ec) ec = co_await write_chunk(stream, kPreamble);
  if (!ec) asio::co_spawn(executor, watch_peer(connection, state), asio::detached);

  auto next_heartbeat = Clock::now() + ctx.config.sse.heartbeat;
  std::string pending;
  while (!ec) {
    SseClient::Batch batch = client->take();
    if (!batch.frames.empty()) {
      pending.clear();
      for (const auto& frame : batch.frames) pending += *frame;
      ec = co_await write_chunk(stream, pending);
      next_heartbeat = Clock::now() + ctx.config.sse.heartbeat;
      if (ec) break;
    }
    if (batch.end == SseClient::End::kSlow) break;
    if (batch.end == SseClient::End::kShutdown || state->peer_gone) break;
    if (std::chrono::system_clock::now() >= auth.expires) {
      ec = co_await write_chunk(stream, kSessionExpired);
      break;
    }
    if (!batch.frames.empty()) continue;  // more may have arrived while writing
    state->wake.expires_at(next_heartbeat);
    beast::error_code wait_ec;
    co_await state->wake.async_wait(into(wait_ec));
    if (!wait_ec) {  // the heartbeat is due, not a wake-up
      ec = co_await write_chunk(stream, kHeartbeat);
      next_heartbeat = Clock::now() + ctx.config.sse.heartbeat;
    }
  }
  ctx.hub.detach(client);
  if (client->ended() == SseClient::End::kSlow) {
    log::info(
        "closed the event stream of customer {}: it fell {} events behind (it resumes "
        "with "
        "Last-Event-ID)",
        auth.customer_id, ctx.config.sse.client_queue);
  }
  if (!ec && !state->peer_gone && client->ended() != SseClient::End::kSlow) {
    // A clean end: the last chunk tells the browser the stream is complete (it will reconnect).
    const auto last = http::make_chunk_last();
    stream.expires_after(kWriteTimeout);
    co_await asio::async_write(stream, last, into(ec));
  }
  connection->close();
  co_return 200;
}

}  // namespace velocity::gateway
