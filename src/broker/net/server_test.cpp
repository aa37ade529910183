#include "broker/net/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "common/big_endian.h"

namespace velocity::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::vector<std::byte> framed(const std::string& body) {
  std::vector<std::byte> out(4 + body.size());
  store_be<int32_t>(out.data(), static_cast<int32_t>(body.size()));
  std::memcpy(out.data() + 4, body.data(), body.size());
  return out;
}

// Several frames back to back, as a pipelining client sends them.
std::vector<std::byte> framed_all(std::initializer_list<const char*> bodies) {
  std::vector<std::byte> out;
  for (const char* body : bodies) {
    auto f = framed(body);
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

// Answers "<body>" with "re:<body>". Bodies starting with "slow" are answered 50 ms later, so
// a later fast request completes first; "quiet" gets no reply; "bye" closes the connection;
// "file" is answered from a file range.
class ScriptedHandler : public RequestHandler {
 public:
  explicit ScriptedHandler(asio::io_context& io) : io_(io) {}

  void handle(const ConnectionInfo&, std::vector<std::byte> frame, ReplyFn reply) override {
    std::string body(reinterpret_cast<const char*>(frame.data()), frame.size());
    if (body.starts_with("slow")) {
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
      timer->async_wait([timer, body, reply](boost::system::error_code) {
        Response r;
        r.chunks.emplace_back(framed("re:" + body));
        reply(Reply::respond(std::move(r)));
      });
      return;
    }
    if (body.starts_with("hold")) {
      events.push_back("handle:" + body);
      held.push_back(reply);
      return;
    }
    if (body.starts_with("budget")) events.push_back("handle:" + body);
    if (body == "quiet") return reply(Reply::none());
    if (body == "bye") return reply(Reply::close("asked to"));
    Response r;
    if (body == "file") {
      std::vector<std::byte> prefix(4);
      const size_t length = file_claimed_bytes > 0 ? file_claimed_bytes : file_payload.size();
      store_be<int32_t>(prefix.data(), static_cast<int32_t>(length));
      r.chunks.emplace_back(prefix);
      FileRange range;
      range.fd = file_fd;
      range.position = 0;
      range.length = length;
      r.chunks.emplace_back(range);
      return reply(Reply::respond(std::move(r)));
    }
    r.chunks.emplace_back(framed("re:" + body));
    reply(Reply::respond(std::move(r)));
  }

  int file_fd = -1;
  std::string file_payload;
  size_t file_claimed_bytes = 0;  // the range's length when more than the file holds
  std::vector<std::string> events;  // event-loop thread only
  std::vector<ReplyFn> held;

 private:
  asio::io_context& io_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.port = 0;
    config.max_request_bytes = 1024;
    config.max_queued_request_bytes = 600;
    server_ = std::make_unique<Server>(io_, config, handler_);
    auto port = server_->start();
    ASSERT_TRUE(port.has_value()) << port.error().message();
    port_ = *port;
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    std::promise<void> stopped;
    asio::post(io_, [&] { server_->stop(1000, [&] { stopped.set_value(); }); });
    stopped.get_future().wait();
    io_.stop();
    thread_.join();
    if (handler_.file_fd >= 0) ::close(handler_.file_fd);
  }

  tcp::socket connect() {
    tcp::socket socket(client_io_);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return socket;
  }

  static std::string read_frame(tcp::socket& socket) {
    std::array<std::byte, 4> prefix{};
    asio::read(socket, asio::buffer(prefix));
    std::string body(static_cast<size_t>(load_be<int32_t>(prefix.data())), '\0');
    asio::read(socket, asio::buffer(body));
    return body;
  }

  // A temporary file of `bytes` patterned bytes that the handler's "file" request sends.
  void use_file(size_t bytes) {
    std::string path = (std::filesystem::temp_directory_path() / "velocity-net-test-XXXXXX").string();
    const int fd = mkstemp(path.data());
    ASSERT_GE(fd, 0);
    unlink(path.c_str());
    std::string payload(bytes, 'x');
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
    ASSERT_EQ(::write(fd, payload.data(), payload.size()), static_cast<ssize_t>(payload.size()));
    if (handler_.file_fd >= 0) ::close(handler_.file_fd);
    handler_.file_fd = fd;
    handler_.file_payload = payload;
    handler_.file_claimed_bytes = 0;
  }

  static bool peer_closed(tcp::socket& socket) {
    std::array<char, 1> byte{};
    boost::system::error_code ec;
    asio::read(socket, asio::buffer(byte), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  asio::io_context io_;
  asio::io_context client_io_;
  ScriptedHandler handler_{io_};
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(ServerTest, RepliesComeBackInRequestOrderEvenWhenCompletedOutOfOrder) {
  auto socket = connect();
  asio::write(socket, asio::buffer(framed_all({"slow-1", "fast-2", "slow-3", "fast-4"})));
  EXPECT_EQ(read_frame(socket), "re:slow-1");
  EXPECT_EQ(read_frame(socket), "re:fast-2");
  EXPECT_EQ(read_frame(socket), "re:slow-3");
  EXPECT_EQ(read_frame(socket), "re:fast-4");
}

TEST_F(ServerTest, RequestsArrivingInPiecesAreReadWhole) {
  auto socket = connect();
  const std::string big(900, 'p');
  auto bytes = framed(big);
  auto next = framed("next");
  bytes.insert(bytes.end(), next.begin(), next.end());
  // Cut inside the size prefix, inside the body, and send the rest with the next request.
  const size_t cuts[] = {0, 3, 400, bytes.size()};
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    asio::write(socket, asio::buffer(bytes.data() + cuts[i], cuts[i + 1] - cuts[i]));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(read_frame(socket), "re:" + big);
  EXPECT_EQ(read_frame(socket), "re:next");
}

TEST_F(ServerTest, RequestWithoutReplyDoesNotBlockLaterReplies) {
  auto socket = connect();
  asio::write(socket, asio::buffer(framed("quiet")));
  asio::write(socket, asio::buffer(framed("after")));
  EXPECT_EQ(read_frame(socket), "re:after");
}

TEST_F(ServerTest, OversizedFrameClosesOnlyThatConnection) {
  auto bad = connect();
  auto good = connect();
  std::array<std::byte, 4> huge{};
  store_be<int32_t>(huge.data(), 1 << 30);
  asio::write(bad, asio::buffer(huge));
  EXPECT_TRUE(peer_closed(bad));
  asio::write(good, asio::buffer(framed("still-here")));
  EXPECT_EQ(read_frame(good), "re:still-here");
}

TEST_F(ServerTest, NegativeLengthClosesTheConnection) {
  auto socket = connect();
  std::array<std::byte, 4> negative{};
  store_be<int32_t>(negative.data(), -5);
  asio::write(socket, asio::buffer(negative));
  EXPECT_TRUE(peer_closed(socket));
}

TEST_F(ServerTest, RepliesOwedBeforeACloseAreWrittenFirst) {
  auto socket = connect();
  asio::write(socket, asio::buffer(framed_all({"slow-a", "bye"})));
  EXPECT_EQ(read_frame(socket), "re:slow-a");
  EXPECT_TRUE(peer_closed(socket));
}

TEST_F(ServerTest, FileRangesAreSentFromTheFile) {
  // Large enough for sendfile, not read into memory first.
  use_file(200000);
  auto socket = connect();
  asio::write(socket, asio::buffer(framed("file")));
  EXPECT_EQ(read_frame(socket), handler_.file_payload);
}

TEST_F(ServerTest, SmallFileRangesAreWrittenTogetherWithTheRepliesAfterThem) {
  use_file(3000);
  auto socket = connect();
  asio::write(socket, asio::buffer(framed_all({"file", "after", "file"})));
  EXPECT_EQ(read_frame(socket), handler_.file_payload);
  EXPECT_EQ(read_frame(socket), "re:after");
  EXPECT_EQ(read_frame(socket), handler_.file_payload);
}

TEST_F(ServerTest, AFileShorterThanItsRangeEndsTheConnectionBeforeTheReplyIsWhole) {
  for (size_t bytes : {3000, 200000}) {
    use_file(bytes);
    handler_.file_claimed_bytes = bytes + 1000;
    auto socket = connect();
    asio::write(socket, asio::buffer(framed("file")));
    std::string received;
    std::array<char, 4096> chunk{};
    boost::system::error_code ec;
    while (!ec) received.append(chunk.data(), socket.read_some(asio::buffer(chunk), ec));
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    EXPECT_LT(received.size(), 4 + bytes + 1000) << "a torn reply must never look whole";
  }
}

TEST_F(ServerTest, ManyConnectionsAreServedConcurrently) {
  std::vector<tcp::socket> sockets;
  for (int i = 0; i < 50; ++i) sockets.push_back(connect());
  for (int i = 0; i < 50; ++i) asio::write(sockets[i], asio::buffer(framed("slow-" + std::to_string(i))));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(read_frame(sockets[i]), "re:slow-" + std::to_string(i));
}

TEST_F(ServerTest, RequestsBeyondTheQueuedBytesBudgetWaitUntilEarlierOnesAreAnswered) {
  auto holder = connect();
  auto other = connect();
  asio::write(holder, asio::buffer(framed("hold" + std::string(500, 'h'))));
  // Make sure the held request is in before the second one is sent.
  std::promise<void> seen;
  std::function<void()> poll = [&] {
    if (!handler_.events.empty()) return seen.set_value();
    asio::post(io_, poll);
  };
  asio::post(io_, poll);
  seen.get_future().wait();
  asio::write(other, asio::buffer(framed("budget" + std::string(200, 'b'))));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::promise<void> released;
  asio::post(io_, [&] {
    handler_.events.push_back("release");
    Response r;
    r.chunks.emplace_back(framed("re:held"));
    handler_.held.front()(Reply::respond(std::move(r)));
    released.set_value();
  });
  released.get_future().wait();
  EXPECT_EQ(read_frame(holder), "re:held");
  EXPECT_EQ(read_frame(other), "re:budget" + std::string(200, 'b'));
  std::promise<std::vector<std::string>> events;
  asio::post(io_, [&] { events.set_value(handler_.events); });
  auto seen_events = events.get_future().get();
  ASSERT_EQ(seen_events.size(), 3u);
  EXPECT_EQ(seen_events[1], "release");  // the second request was read only after the release
  EXPECT_TRUE(seen_events[2].starts_with("handle:budget"));
}

}  // namespace
}  // namespace velocity::net
