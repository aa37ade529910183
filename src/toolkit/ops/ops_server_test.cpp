#include "velocity/ops_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "toolkit/ops/exposition_test_util.h"

namespace velocity::ops {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// Splits one response off the front of `raw` (Content-Length framed, as the server sends).
RawResponse take_response(std::string& raw) {
  RawResponse out;
  const auto end_of_head = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end_of_head == std::string::npos) return out;
  out.status = std::stoi(raw.substr(9, 3));
  out.head = raw.substr(0, end_of_head);
  size_t length = 0;
  const auto at = out.head.find("Content-Length: ");
  if (at != std::string::npos) length = std::stoul(out.head.substr(at + 16));
  out.body = raw.substr(end_of_head + 4, length);
  raw.erase(0, end_of_head + 4 + length);
  return out;
}

// Sends raw bytes on a fresh connection and returns everything the server sent until it closed.
std::string send_raw(uint16_t port, const std::string& request) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  // A server that never closes fails the test instead of hanging it.
  timeval timeout{5, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  asio::write(socket, asio::buffer(request));
  std::string received;
  std::array<char, 4096> chunk{};
  for (;;) {
    boost::system::error_code ec;
    const size_t n = socket.read_some(asio::buffer(chunk), ec);
    received.append(chunk.data(), n);
    if (ec == asio::error::eof) return received;
    if (ec) {
      ADD_FAILURE() << "reading the response: " << ec.message();
      return received;
    }
  }
}

RawResponse get(uint16_t port, const std::string& target, const std::string& method = "GET") {
  std::string raw = send_raw(
      port, method + " " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
  return take_response(raw);
}

class OpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(OpsServerOptions options) {
    server_.reset();
    options.bind = {"127.0.0.1", 0};
    auto started = OpsServer::start(options, readiness_, registry_);
    ASSERT_TRUE(started) << started.error().message();
    server_ = std::move(*started);
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  Readiness readiness_;
  metrics::Registry registry_;
  std::unique_ptr<OpsServer> server_;
  uint16_t port_ = 0;
};

TEST_F(OpsServerTest, HealthzIsOkWhileTheProcessRuns) {
  auto response = get(port_, "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(nlohmann::json::parse(response.body)["status"], "ok");
}

TEST_F(OpsServerTest, ReadyzIsUnavailableUntilEveryCheckPasses) {
  auto bus = readiness_.add_flag("bus connected");
  readiness_.add_check("database open", []() -> Result<void> { return {}; });

  auto before = get(port_, "/readyz");
  EXPECT_EQ(before.status, 503);
  auto body = nlohmann::json::parse(before.body);
  ASSERT_EQ(body["failing"].size(), 1u);
  EXPECT_EQ(body["failing"][0]["check"], "bus connected");

  bus->store(true);
  EXPECT_EQ(get(port_, "/readyz").status, 200);
}

TEST_F(OpsServerTest, ReadyzReportsTheReasonOfAFailingCheck) {
  readiness_.add_check("database open",
                       []() -> Result<void> { return fail(ErrorCode::kIo, "orders.db locked"); });
  readiness_.add_check("cache", []() -> Result<void> { throw std::runtime_error("boom"); });
  auto response = get(port_, "/readyz");
  EXPECT_EQ(response.status, 503);
  auto body = nlohmann::json::parse(response.body);
  ASSERT_EQ(body["failing"].size(), 2u);
  EXPECT_EQ(body["failing"][0]["reason"], "i/o error: orders.db locked");
  EXPECT_EQ(body["failing"][1]["reason"], "exception: boom");
}

TEST_F(OpsServerTest, MetricsServeTheRegistryAsValidExposition) {
  registry_.counter("events_consumed_total", "Events consumed", {{"topic", "shop.orders"}}).inc(4);
  registry_.histogram("handler_seconds", "Handler latency").observe(0.002);
  auto response = get(port_, "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos)
      << response.head;
  auto samples = metrics::parse_exposition(response.body);
  EXPECT_EQ(samples[R"(events_consumed_total{topic="shop.orders"})"], 4);
  EXPECT_EQ(samples["handler_seconds_count"], 1);
}

TEST_F(OpsServerTest, UnknownPathIsA404WithAJsonError) {
  auto response = get(port_, "/nope");
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(nlohmann::json::parse(response.body).contains("error"));
}

TEST_F(OpsServerTest, WrongMethodIsA405NamingTheAllowedOne) {
  auto response = get(port_, "/metrics", "POST");
  EXPECT_EQ(response.status, 405);
  EXPECT_NE(response.head.find("Allow: GET"), std::string::npos) << response.head;
  EXPECT_TRUE(nlohmann::json::parse(response.body).contains("error"));
}

TEST_F(OpsServerTest, MalformedRequestIsA400AndTheConnectionCloses) {
  std::string raw = send_raw(port_, "THIS IS NOT HTTP\r\n\r\n");
  auto response = take_response(raw);
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(raw.empty()) << "more after the 400: " << raw;
  EXPECT_EQ(get(port_, "/healthz").status, 200);
}

TEST_F(OpsServerTest, OversizedHeaderIsRejectedAndTheServerKeepsServing) {
  std::string request =
      "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: " + std::string(32 * 1024, 'a') +
      "\r\n\r\n";
  std::string raw = send_raw(port_, request);
  EXPECT_EQ(take_response(raw).status, 431);
  EXPECT_EQ(get(port_, "/healthz").status, 200);
}

TEST_F(OpsServerTest, OversizedBodyIsA413) {
  start(OpsServerOptions{.body_limit = 16});
  std::string raw =
      send_raw(port_, "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" +
                          std::string(100, 'x'));
  EXPECT_EQ(take_response(raw).status, 413);
}

TEST_F(OpsServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::string raw = send_raw(port_,
                             "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                             "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(take_response(raw).status, 200);
  EXPECT_EQ(take_response(raw).status, 404);
}

TEST_F(OpsServerTest, AClientThatStopsSendingIsDisconnectedAfterTheReadTimeout) {
  start(OpsServerOptions{.read_timeout = 100ms});
  // send_raw() fails the test if the server keeps the half-sent request open for 5 s.
  std::string raw = send_raw(port_, "GET /healthz HTTP/1.1\r\nHost:");
  EXPECT_TRUE(raw.empty()) << raw;
}

TEST_F(OpsServerTest, AddedRoutesAreServedBesideTheBuiltInOnes) {
  server_->add_route("GET", "/debug/info", [](const HttpRequest& request) {
    return HttpResponse{200, "text/plain", "path=" + request.path(), {}};
  });
  auto response = get(port_, "/debug/info?x=1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "path=/debug/info");
}

TEST(RouteTable, AThrowingHandlerIsA500) {
  RouteTable routes;
  routes.add("GET", "/boom",
             [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); });
  auto response = routes.handle(HttpRequest{"GET", "/boom", ""});
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("kaput"), std::string::npos);
}

TEST(OpsServerOptions, BindAddressComesFromTheEnvironment) {
  config::Env env([](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_METRICS_ADDR") return "127.0.0.1:9464";
    return std::nullopt;
  });
  auto options = OpsServerOptions::from_env("0.0.0.0:9100", env);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->bind, (config::Endpoint{"127.0.0.1", 9464}));
  EXPECT_EQ(OpsServerOptions::from_env("0.0.0.0:9100", config::Env([](std::string_view) {
                                         return std::optional<std::string>();
                                       }))
                ->bind.port,
            9100);
}

TEST(OpsServer, AnAddressInUseIsAnError) {
  Readiness readiness;
  auto first = OpsServer::start(OpsServerOptions{.bind = {"127.0.0.1", 0}}, readiness);
  ASSERT_TRUE(first);
  auto second =
      OpsServer::start(OpsServerOptions{.bind = {"127.0.0.1", (*first)->port()}}, readiness);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace velocity::ops

namespace velocity::ops {
namespace {

TEST(RouteTablePatterns, ParametersMatchOneSegmentAndLiteralSegmentsWin) {
  RouteTable routes;
  routes.add("GET", "/api/orders/{id}", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "param:" + r.param("id"), {}};
  });
  routes.add("GET", "/api/orders/latest", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "literal", {}};
  });
  routes.add("POST", "/api/orders/{id}/cancel", [](const HttpRequest& r) {
    return HttpResponse{202, "text/plain", "cancel:" + r.param("id"), {}};
  });
  auto get = [&](std::string method, std::string target) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    return routes.handle(request);
  };
  EXPECT_EQ(get("GET", "/api/orders/ord_1?x=1").body, "param:ord_1");
  EXPECT_EQ(get("GET", "/api/orders/latest").body, "literal");
  EXPECT_EQ(get("POST", "/api/orders/ord_2/cancel").body, "cancel:ord_2");
  EXPECT_EQ(get("GET", "/api/orders/ord_2/cancel").status, 405);
  EXPECT_EQ(get("GET", "/api/orders").status, 404);
  EXPECT_EQ(get("GET", "/api/orders/a/b/c").status, 404);
}

TEST(HttpRequestHelpers, HeadersAreCaseInsensitiveAndQueriesDecoded) {
  HttpRequest request;
  request.target = "/p?q=crew+neck%21&empty&size=M";
  request.headers = {{"x-velocity-customer", "c-1"}};
  EXPECT_EQ(request.header("X-Velocity-Customer"), "c-1");
  EXPECT_FALSE(request.header("authorization"));
  EXPECT_EQ(request.query("q"), "crew neck!");
  EXPECT_EQ(request.query("empty"), "");
  EXPECT_EQ(request.query("size"), "M");
  EXPECT_FALSE(request.query("colour"));
}

}  // namespace
}  // namespace velocity::ops
