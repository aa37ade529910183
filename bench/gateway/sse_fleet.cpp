#include "sse_fleet.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "gateway/http.h"

namespace velocity::bench {

using namespace velocity::gateway;  // asio, beast, http, tcp

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct SseFleet::Impl {
  asio::io_context io;
  mutable std::mutex mutex;
  std::vector<int64_t> delays;
  std::vector<bool> warmed;
  size_t duplicates = 0;

  struct Client : std::enable_shared_from_this<Client> {
    Client(Impl& fleet_in, SseFleet& owner_in, size_t index_in, std::string token_in)
        : fleet(fleet_in),
          owner(owner_in),
          index(index_in),
          stream(fleet_in.io),
          token(std::move(token_in)) {}

    void start(const tcp::endpoint& gateway) {
      stream.async_connect(gateway, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->fail();
        self->request = {http::verb::get, "/api/events", 11};
        self->request.set(http::field::host, "127.0.0.1");
        self->request.set(http::field::authorization, "Bearer " + self->token);
        http::async_write(self->stream, self->request, [self](beast::error_code e, size_t) {
          if (e) return self->fail();
          self->parser.body_limit(std::numeric_limits<std::uint64_t>::max());
          self->parser.on_chunk_body(self->on_chunk);
          http::async_read_header(self->stream, self->buffer, self->parser,
                                  [self](beast::error_code e2, size_t) {
                                    if (e2 || self->parser.get().result() != http::status::ok)
                                      return self->fail();
                                    ++self->owner.streaming_;
                                    self->read();
                                  });
        });
      });
    }

    void read() {
      http::async_read_some(stream, buffer, parser,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec || self->parser.is_done()) return self->fail();
                              self->read();
                            });
    }

    void fail() { ++owner.failed_; }

    // One frame's `data:` line: the gateway's envelope whose `data` has sent_ns (or warmup).
    void on_frame(const std::string& data) {
      const int64_t arrived = now_ns();
      const auto envelope = nlohmann::json::parse(data, nullptr, false);
      if (envelope.is_discarded() || !envelope.contains("data")) return;
      const auto& body = envelope["data"];
      std::lock_guard lock(fleet.mutex);
      if (body.value("warmup", false)) {
        fleet.warmed[index] = true;
        return;
      }
      if (!seen.insert(envelope.value("id", "")).second) {
        ++fleet.duplicates;
        return;
      }
      fleet.delays.push_back(arrived - body.value("sent_ns", arrived));
    }

    Impl& fleet;
    SseFleet& owner;
    size_t index;
    beast::tcp_stream stream;
    std::string token;
    Request request;
    beast::flat_buffer buffer;
    std::string text;
    std::set<std::string> seen;
    std::function<size_t(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk =
        [this](std::uint64_t, beast::string_view body, beast::error_code&) {
          text.append(body.data(), body.size());
          for (size_t end; (end = text.find("\n\n")) != std::string::npos;) {
            const std::string frame = text.substr(0, end);
            text.erase(0, end + 2);
            const size_t data = frame.find("data: ");
            if (data != std::string::npos)
              on_frame(frame.substr(data + 6, frame.find('\n', data) - data - 6));
          }
          return body.size();
        };
    http::response_parser<http::string_body> parser;
  };

  std::vector<std::shared_ptr<Client>> clients;
};

SseFleet::SseFleet(uint16_t port, size_t clients, std::function<std::string(size_t)> token_for)
    : impl_(std::make_unique<Impl>()) {
  impl_->warmed.assign(clients, false);
  const tcp::endpoint gateway(asio::ip::make_address("127.0.0.1"), port);
  for (size_t i = 0; i < clients; ++i) {
    impl_->clients.push_back(std::make_shared<Impl::Client>(*impl_, *this, i, token_for(i)));
    impl_->clients.back()->start(gateway);
  }
  thread_ = std::thread([this] { impl_->io.run(); });
}

SseFleet::~SseFleet() {
  impl_->io.stop();
  thread_.join();
}

size_t SseFleet::warmed() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<size_t>(std::count(impl_->warmed.begin(), impl_->warmed.end(), true));
}

std::vector<int64_t> SseFleet::delays() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->delays;
}

size_t SseFleet::received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->delays.size();
}

size_t SseFleet::duplicates() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->duplicates;
}

}  // namespace velocity::bench
