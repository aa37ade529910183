// The load generator's event-stream follower: the SSE parser over chunked HTTP in pieces of any
// size, and EventStreams against a real socket server that ends a stream (resumed with
// Last-Event-ID) or refuses one (given up after the attempts).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loadgen/event_stream.h"

namespace velocity::loadgen {
namespace {

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

const std::string kHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string frames_text() {
  return chunk(": ok\n\n") +
         chunk("id: 7\nevent: shop.order.confirmed.v1\ndata: {\"data\":{\"order_id\":\"o-1\"}}\n\n") +
         chunk("id: 8\r\nevent: shop.order.completed.v1\r\ndata: line one\r\ndata: line two\r\n\r\n") +
         chunk(": heartbeat\n\n") + chunk("event: resync\ndata: {}\n\n");
}

TEST(SseParser, ReadsChunkedFramesSplitAtAnyByte) {
  const std::string wire = kHead + frames_text();
  for (size_t piece = 1; piece <= wire.size(); piece += 3) {
    SseParser parser;
    std::vector<SseFrame> frames;
    for (size_t at = 0; at < wire.size(); at += piece) {
      ASSERT_TRUE(parser.feed(std::string_view(wire).substr(at, piece), frames)) << parser.error();
    }
    ASSERT_EQ(parser.status(), 200);
    ASSERT_EQ(frames.size(), 3u) << "piece " << piece;
    EXPECT_EQ(frames[0].id, "7");
    EXPECT_EQ(frames[0].event, "shop.order.confirmed.v1");
    EXPECT_EQ(frames[0].data, R"({"data":{"order_id":"o-1"}})");
    EXPECT_EQ(frames[1].id, "8");
    EXPECT_EQ(frames[1].data, "line one\nline two");
    EXPECT_EQ(frames[2].event, "resync");
    EXPECT_EQ(frames[2].id, "");
  }
}

TEST(SseParser, RefusesAnAnswerOtherThan200AndWhatIsNotHttp) {
  SseParser refused;
  std::vector<SseFrame> frames;
  EXPECT_FALSE(refused.feed("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", frames));
  EXPECT_EQ(refused.status(), 401);
  EXPECT_NE(refused.error().find("401"), std::string::npos);
  SseParser garbage;
  EXPECT_FALSE(garbage.feed("SSH-2.0-OpenSSH\r\n\r\n", frames));
  EXPECT_TRUE(frames.empty());
}

// Accepts connections on 127.0.0.1 and hands each to `serve` on its own thread.
class Server {
 public:
  explicit Server(std::function<void(int fd, int n)> serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    EXPECT_EQ(::listen(fd_, 16), 0);
    thread_ = std::thread([this] {
      for (int n = 0;; ++n) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        handlers_.emplace_back([this, client, n] {
          serve_(client, n);
          ::close(client);
        });
      }
    });
  }
  ~Server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& h : handlers_) h.join();
  }
  uint16_t port() const { return port_; }

 private:
  std::function<void(int, int)> serve_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<std::thread> handlers_;
};

std::string read_request(int fd) {
  std::string request;
  char buffer[1024];
  while (request.find("\r\n\r\n") == std::string::npos) {
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  return request;
}

void send_all(int fd, const std::string& data) { ::send(fd, data.data(), data.size(), MSG_NOSIGNAL); }

TEST(EventStreams, ResumeWithTheLastEventIdAfterTheServerEndsAStream) {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> requests;
  std::vector<std::string> ids;
  std::atomic<bool> done{false};
  Server server([&](int fd, int n) {
    const auto request = read_request(fd);
    {
      std::lock_guard lock(mutex);
      requests.push_back(request);
    }
    send_all(fd, kHead + chunk(": ok\n\n"));
    if (n == 0) {
      send_all(fd, chunk("id: 1\nevent: shop.order.placed.v1\ndata: {}\n\n") +
                       chunk("id: 2\nevent: shop.order.confirmed.v1\ndata: {}\n\n") + "0\r\n\r\n");
      return;  // the stream ends; the client comes back
    }
    send_all(fd, chunk("id: 3\nevent: shop.order.completed.v1\ndata: {}\n\n"));
    while (!done.load()) {
      std::unique_lock lock(mutex);
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  });
  EventStreamOptions options;
  options.port = server.port();
  bool failed = false;
  EventStreams streams(
      options,
      [&](size_t customer, const SseFrame& frame) {
        EXPECT_EQ(customer, 1u);
        std::lock_guard lock(mutex);
        ids.push_back(frame.id);
        cv.notify_all();
      },
      [&](size_t) { failed = true; });
  EXPECT_EQ(streams.open({"", "token-b"}, std::chrono::seconds(30)), 1u);
  EXPECT_FALSE(streams.following(0));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return ids.size() >= 3; }));
  }
  EXPECT_TRUE(streams.following(1));
  done = true;
  streams.stop();
  EXPECT_FALSE(failed);
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3"}));
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].find("GET /api/events HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(requests[0].find("Authorization: Bearer token-b\r\n"), std::string::npos);
  EXPECT_EQ(requests[0].find("Last-Event-ID"), std::string::npos);
  EXPECT_NE(requests[1].find("Last-Event-ID: 2\r\n"), std::string::npos);
  const auto stats = streams.stats();
  EXPECT_EQ(stats.opened, 2u);
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_EQ(stats.frames, 3u);
  EXPECT_EQ(stats.failed, 0u);
}

TEST(EventStreams, GiveUpACustomerWhoseStreamIsRefusedEveryTime) {
  std::atomic<int> attempts{0};
  Server server([&](int fd, int) {
    read_request(fd);
    ++attempts;
    send_all(fd, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
  });
  EventStreamOptions options;
  options.port = server.port();
  options.max_attempts = 3;
  options.first_backoff = std::chrono::milliseconds(1);
  std::vector<size_t> given_up;
  EventStreams streams(
      options, [](size_t, const SseFrame&) { ADD_FAILURE() << "no frame expected"; },
      [&](size_t customer) { given_up.push_back(customer); });
  EXPECT_EQ(streams.open({"token-a"}, std::chrono::seconds(60)), 0u);
  streams.stop();
  EXPECT_EQ(given_up, std::vector<size_t>{0});
  EXPECT_EQ(attempts.load(), 3);
  EXPECT_FALSE(streams.following(0));
  EXPECT_EQ(streams.stats().failed, 1u);
}

}  // namespace
}  // namespace velocity::loadgen
