// The gateway in process, over real loopback sockets: fake services (a tiny Beast server),
// a MemoryBus for the public topics, and keys in a temporary data directory.
#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/test_client.h"
#include "shop/session_token.h"
#include "velocity/event.h"
#include "velocity/memory_bus.h"
#include "velocity/service.h"
#include "velocity/trace.h"

namespace velocity::gateway {
namespace {

using testing::FakeUpstream;
using testing::SseEvent;
using testing::SseReader;
using testing::TestClient;

const config::Env kNoEnv([](std::string_view) { return std::optional<std::string>(); });

// A port nothing listens on: bound, then released.
uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gateway-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto keys = shop::load_signing_keys(dir_ / "data", kNoEnv);
    ASSERT_TRUE(keys) << keys.error().message();
    keys_ = *keys;
    write_file(dir_ / "web" / "index.html", "<!doctype html><title>Velocity</title>");
    write_file(dir_ / "web" / "app.js", "export const x = 1;");
    write_file(dir_ / "secret.txt", "top secret");
    for (const auto& topic : {"shop.orders", "shop.inventory", "shop.payments", "shop.shipping",
                              "shop.notifications", "shop.carts", "shop.users"}) {
      ASSERT_TRUE(bus_.create_topic(topic, 1));
    }
    config_.listen = {"127.0.0.1", 0};
    config_.data_dir = dir_ / "data";
    config_.web_dir = dir_ / "web";
    config_.upstream_timeout = std::chrono::milliseconds(500);
    const uint16_t nowhere = closed_port();
    for (const auto& service : kUpstreamServices)
      config_.upstreams[std::string(service.name)] = {"127.0.0.1", nowhere};
    config_.upstreams["orders"] = {"127.0.0.1", orders_.port()};
    config_.upstreams["inventory"] = {"127.0.0.1", inventory_.port()};
    config_.upstreams["catalog"] = {"127.0.0.1", silent_.port()};
  }

  void TearDown() override {
    if (gateway_) gateway_->stop(std::chrono::seconds(5));
    gateway_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start() {
    auto started = Gateway::start(config_, bus_, registry_, kNoEnv);
    ASSERT_TRUE(started) << started.error().message();
    gateway_ = std::move(*started);
  }

  std::string token(const std::string& customer, std::chrono::seconds ttl = std::chrono::hours(1),
                    std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
    return shop::issue_token(keys_, customer, ttl, now);
  }

  std::string edge_key() { return *load_edge_key(dir_ / "data", kNoEnv); }

  // Publishes one event about `customer` on `topic`; returns its event id.
  std::string publish(const std::string& topic, const std::string& customer,
                      const std::string& type, nlohmann::json data = nlohmann::json::object()) {
    Event event;
    event.id = new_event_id();
    event.source = "/services/test";
    event.type = type;
    event.subject = customer;
    event.time = std::chrono::system_clock::now();
    event.data = std::move(data);
    event.data["customer_id"] = customer;
    auto message = to_message(event, topic);
    EXPECT_TRUE(message);
    EXPECT_TRUE(bus_.publish(*message));
    return event.id;
  }

  std::filesystem::path dir_;
  shop::SessionKeys keys_;
  MemoryBus bus_;
  metrics::Registry registry_;
  FakeUpstream orders_;
  FakeUpstream inventory_;
  FakeUpstream silent_{{}, /*silent=*/true};
  GatewayConfig config_;
  std::unique_ptr<Gateway> gateway_;
};

// --- routing and identity ----------------------------------------------------------------

TEST_F(GatewayTest, ForwardsRequestsUnchangedToTheOwningService) {
  start();
  TestClient client(gateway_->port());
  Request request{http::verb::post, "/api/orders/checkout?from=cart", 11};
  request.set("Idempotency-Key", "key-1");
  request.set("X-Velocity-Customer", "mallory");  // no token: the header must not pass
  request.set("X-Velocity-Edge-Key", "guessed");
  request.set(http::field::content_type, "application/json");
  request.body() = R"({"lines":[{"sku":"tee-M-BLK","quantity":1}]})";
  auto response = client.send(std::move(request));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::ok);
  EXPECT_EQ(response->body(), R"({"method":"POST","target":"/api/orders/checkout?from=cart"})");
  EXPECT_FALSE((*response)["X-Request-Id"].empty());

  const auto seen = orders_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method(), http::verb::post);
  EXPECT_EQ(seen[0].target(), "/api/orders/checkout?from=cart");
  EXPECT_EQ(seen[0].body(), R"({"lines":[{"sku":"tee-M-BLK","quantity":1}]})");
  EXPECT_EQ(seen[0]["Idempotency-Key"], "key-1");
  EXPECT_EQ(seen[0].count("X-Velocity-Customer"), 0u);
  EXPECT_EQ(seen[0].count("X-Velocity-Edge-Key"), 0u);
  EXPECT_EQ(seen[0]["X-Request-Id"], (*response)["X-Request-Id"]);
  EXPECT_TRUE(trace::parse_traceparent(ssv(seen[0]["traceparent"])));
}

TEST_F(GatewayTest, KeepsTheBrowsersRequestId) {
  start();
  TestClient client(gateway_->port());
  auto response = client.get("/api/orders", {{"X-Request-Id", "browser-req-7"}});
  ASSERT_TRUE(response);
  EXPECT_EQ((*response)["X-Request-Id"], "browser-req-7");
  EXPECT_EQ(orders_.requests().at(0)["X-Request-Id"], "browser-req-7");
}

TEST_F(GatewayTest, ValidSessionIsForwardedAsTheCustomerWithTheEdgeKey) {
  start();
  TestClient client(gateway_->port());
  auto response = client.get("/api/orders/o-1", {{"Authorization", "Bearer " + token("cust-42")},
                                                 {"X-Velocity-Customer", "mallory"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::ok);
  const auto seen = orders_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].count("X-Velocity-Customer"), 1u);
  EXPECT_EQ(seen[0]["X-Velocity-Customer"], "cust-42");
  EXPECT_EQ(seen[0]["X-Velocity-Edge-Key"], edge_key());
}

TEST_F(GatewayTest, ExpiredSessionIsAnsweredByTheGateway) {
  start();
  TestClient client(gateway_->port());
  const auto issued = std::chrono::system_clock::now() - std::chrono::hours(3);
  auto response =
      client.get("/api/orders",
                 {{"Authorization", "Bearer " + token("cust-42", std::chrono::hours(1), issued)}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::unauthorized);
  const auto body = nlohmann::json::parse(response->body());
  EXPECT_EQ(body["code"], "session_expired");
  EXPECT_EQ(body["error"], "your session has expired, please sign in again");
  EXPECT_EQ((*response)[http::field::content_type], "application/json");
  EXPECT_TRUE(orders_.requests().empty());
}

TEST_F(GatewayTest, ForgedOrMalformedSessionIsAnsweredByTheGateway) {
  start();
  TestClient client(gateway_->port());
  std::string forged = token("cust-42");
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {forged, std::string("not-a-token"), std::string("")}) {
    auto response = client.get("/api/orders", {{"Authorization", "Bearer " + bad}});
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result(), http::status::unauthorized) << bad;
    EXPECT_EQ(nlohmann::json::parse(response->body())["code"], "invalid_token");
  }
  EXPECT_TRUE(orders_.requests().empty());
}

TEST_F(GatewayTest, AdminRoutesAreNeverForwarded) {
  start();
  TestClient client(gateway_->port());
  const std::string session = "Bearer " + token("cust-42");
  for (const char* target : {"/api/inventory/admin/adjust", "/api/inventory//admin/adjust",
                             "/api/inventory/%61dmin/adjust", "/api/inventory/ADMIN/adjust"}) {
    Request request{http::verb::post, target, 11};
    request.set(http::field::authorization, session);
    request.body() = R"({"sku":"tee-M-BLK","delta":1000,"reason":"restock"})";
    auto response = client.send(std::move(request));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result(), http::status::not_found) << target;
    EXPECT_EQ((*response)[http::field::content_type], "application/json");
  }
  EXPECT_TRUE(inventory_.requests().empty());
  auto stock = client.get("/api/inventory/stock");
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->result(), http::status::ok);
}

TEST_F(GatewayTest, UnknownServiceIsNotFound) {
  start();
  TestClient client(gateway_->port());
  auto response = client.get("/api/billing/invoices");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::not_found);
  EXPECT_TRUE(nlohmann::json::parse(response->body()).contains("error"));
}

TEST_F(GatewayTest, ServiceThatIsDownIsUnavailable) {
  start();
  TestClient client(gateway_->port());
  auto response = client.get("/api/users/me");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::service_unavailable);
  EXPECT_EQ(nlohmann::json::parse(response->body()),
            nlohmann::json({{"error", "the users service is unavailable"}}));
}

TEST_F(GatewayTest, ServiceThatDoesNotAnswerTimesOut) {
  start();
  TestClient client(gateway_->port());
  auto response = client.get("/api/catalog/products");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::gateway_timeout);
  EXPECT_EQ(silent_.requests().size(), 1u);
  auto after = client.get("/api/orders");
  ASSERT_TRUE(after) << "the browser's connection stays usable";
  EXPECT_EQ(after->result(), http::status::ok);
}

TEST_F(GatewayTest, ConnectionsToAServiceAreKeptAlive) {
  start();
  for (int i = 0; i < 3; ++i) {
    TestClient client(gateway_->port());  // a new browser connection each time
    auto response = client.get("/api/orders/o-" + std::to_string(i));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result(), http::status::ok);
  }
  EXPECT_EQ(orders_.requests().size(), 3u);
  EXPECT_EQ(orders_.connections(), 1u);
}

TEST_F(GatewayTest, ServiceAnswersPassThroughWithTheirStatus) {
  FakeUpstream conflict([](const Request&) {
    Response response{http::status::conflict, 11};
    response.set(http::field::content_type, "application/json");
    response.set("X-Custom", "kept");
    response.body() = R"({"error":"email taken","field":"email"})";
    return response;
  });
  config_.upstreams["users"] = {"127.0.0.1", conflict.port()};
  start();
  TestClient client(gateway_->port());
  auto response = client.get("/api/users/register");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::conflict);
  EXPECT_EQ(response->body(), R"({"error":"email taken","field":"email"})");
  EXPECT_EQ((*response)["X-Custom"], "kept");
  gateway_->stop(std::chrono::seconds(5));
}

// --- static files ------------------------------------------------------------------------

TEST_F(GatewayTest, ServesTheStorefrontWithTypesAndCaching) {
  start();
  TestClient client(gateway_->port());
  auto index = client.get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->result(), http::status::ok);
  EXPECT_EQ(index->body(), "<!doctype html><title>Velocity</title>");
  EXPECT_EQ((*index)[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ((*index)[http::field::cache_control], "no-cache");

  auto js = client.get("/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ((*js)[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js->body(), "export const x = 1;");
  const std::string etag((*js)[http::field::etag]);
  ASSERT_FALSE(etag.empty());
  auto again = client.get("/app.js", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result(), http::status::not_modified);
  EXPECT_TRUE(again->body().empty());

  auto page = client.get("/account/orders");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->body(), index->body()) << "client-side routes get the index";
  auto missing = client.get("/missing.png");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result(), http::status::not_found);
  EXPECT_EQ((*missing)[http::field::content_type], "application/json");

  auto post = client.send(Request{http::verb::post, "/", 11});
  ASSERT_TRUE(post);
  EXPECT_EQ(post->result(), http::status::method_not_allowed);
}

TEST_F(GatewayTest, TraversalAttemptsOverTheWireNeverReachOtherFiles) {
  start();
  for (const char* target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2E%2E%2Fsecret.txt",
        "/images/../../secret.txt", "/..\\secret.txt"}) {
    TestClient client(gateway_->port());
    ASSERT_TRUE(client.send_raw("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->body().find("top secret"), std::string::npos) << target;
    EXPECT_EQ(response->result(), http::status::not_found) << target;
  }
}

// --- limits and bad input ----------------------------------------------------------------

TEST_F(GatewayTest, OversizeBodyGetsJson413AndTheGatewayKeepsServing) {
  start();
  {
    TestClient client(gateway_->port());
    Request request{http::verb::post, "/api/orders/checkout", 11};
    request.body() = std::string(1024 * 1024 + 1, 'x');
    auto response = client.send(std::move(request));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result(), http::status::payload_too_large);
    EXPECT_TRUE(nlohmann::json::parse(response->body()).contains("error"));
  }
  EXPECT_TRUE(orders_.requests().empty());
  TestClient next(gateway_->port());
  auto healthy = next.get("/healthz");
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->result(), http::status::ok);
}

TEST_F(GatewayTest, BodyAtTheLimitIsForwarded) {
  start();
  TestClient client(gateway_->port());
  Request request{http::verb::post, "/api/orders/checkout", 11};
  request.body() = std::string(1024 * 1024, 'x');
  auto response = client.send(std::move(request));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::ok);
  EXPECT_EQ(orders_.requests().at(0).body().size(), 1024u * 1024u);
}

TEST_F(GatewayTest, OversizeHeadersGet431) {
  start();
  TestClient client(gateway_->port());
  auto response = client.get("/api/orders", {{"X-Padding", std::string(17 * 1024, 'p')}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result(), http::status::request_header_fields_too_large);
  EXPECT_TRUE(nlohmann::json::parse(response->body()).contains("error"));
  EXPECT_TRUE(orders_.requests().empty());
}

TEST_F(GatewayTest, MalformedRequestsGetJson400AndTheGatewayKeepsServing) {
  start();
  for (const char* garbage :
       {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "GET http://elsewhere/api/orders HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    TestClient client(gateway_->port());
    ASSERT_TRUE(client.send_raw(garbage));
    auto response = client.read_response();
    ASSERT_TRUE(response) << garbage;
    EXPECT_EQ(response->result(), http::status::bad_request) << garbage;
    EXPECT_TRUE(nlohmann::json::parse(response->body()).contains("error")) << garbage;
  }
  TestClient next(gateway_->port());
  auto healthy = next.get("/healthz");
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->result(), http::status::ok);
  EXPECT_TRUE(orders_.requests().empty());
}

TEST_F(GatewayTest, ClientThatSendsHalfARequestIsClosedAfterTheReadTimeout) {
  config_.read_timeout = std::chrono::milliseconds(200);
  start();
  TestClient client(gateway_->port());
  ASSERT_TRUE(client.send_raw("GET /api/orders HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(client.closed_by_server());
  TestClient next(gateway_->port());
  EXPECT_TRUE(next.get("/healthz"));
}

// --- ops ---------------------------------------------------------------------------------

TEST_F(GatewayTest, AnswersHealthReadinessAndMetrics) {
  start();
  TestClient client(gateway_->port());
  auto health = client.get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->result(), http::status::ok);
  auto ready = client.get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->result(), http::status::ok) << ready->body();
  ASSERT_TRUE(client.get("/api/orders"));
  ASSERT_TRUE(client.get("/api/users/me"));
  auto metrics = client.get("/metrics");
  ASSERT_TRUE(metrics);
  const std::string& text = metrics->body();
  EXPECT_NE(text.find(R"(gateway_requests_total{route="api",status="200"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(gateway_requests_total{route="api",status="503"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(gateway_upstream_duration_seconds_count{service="orders"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("gateway_sse_clients 0"), std::string::npos);
  EXPECT_NE(text.find("gateway_events_fanned_out_total"), std::string::npos);
}

// --- live events -------------------------------------------------------------------------

TEST_F(GatewayTest, EventStreamNeedsAValidSession) {
  start();
  {
    SseReader reader(gateway_->port());
    EXPECT_EQ(reader.open("/api/events"), 401u);
    EXPECT_EQ(nlohmann::json::parse(reader.body())["code"], "unauthenticated");
  }
  {
    SseReader reader(gateway_->port());
    EXPECT_EQ(reader.open("/api/events?token=forged"), 401u);
    EXPECT_EQ(nlohmann::json::parse(reader.body())["code"], "invalid_token");
  }
  {
    SseReader reader(gateway_->port());
    const auto issued = std::chrono::system_clock::now() - std::chrono::hours(3);
    EXPECT_EQ(reader.open("/api/events", {{"Authorization",
                                           "Bearer " + token("c", std::chrono::hours(1), issued)}}),
              401u);
    EXPECT_EQ(nlohmann::json::parse(reader.body())["code"], "session_expired");
  }
  EXPECT_EQ(gateway_->hub().clients(), 0u);
}

TEST_F(GatewayTest, EachCustomerReceivesOnlyTheirOwnEvents) {
  start();
  SseReader alice(gateway_->port());
  ASSERT_EQ(alice.open("/api/events", {{"Authorization", "Bearer " + token("alice")}}), 200u);
  EXPECT_EQ(alice.header()[http::field::content_type], "text/event-stream");
  SseReader bob(gateway_->port());
  ASSERT_EQ(bob.open("/api/events?token=" + token("bob")), 200u)
      << "EventSource passes the token in the query";

  const std::string a1 =
      publish("shop.orders", "alice", "shop.order.placed.v1", {{"order_id", "o-1"}});
  const std::string b1 =
      publish("shop.orders", "bob", "shop.order.placed.v1", {{"order_id", "o-2"}});
  const std::string a2 =
      publish("shop.orders", "alice", "shop.order.confirmed.v1", {{"order_id", "o-1"}});
  publish("shop.inventory", "", "shop.inventory.stock_adjusted.v1");  // about nobody
  const std::string b2 =
      publish("shop.orders", "bob", "shop.order.cancelled.v1", {{"order_id", "o-2"}});

  const auto bobs = bob.read_events(2);
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(bobs[0].data)["id"], b1);
  EXPECT_EQ(nlohmann::json::parse(bobs[1].data)["id"], b2);

  // Bob's last event was published after all of Alice's: once Bob has it, Alice has all of
  // hers, and whatever else she got would be in her stream too.
  const auto alices = alice.read_events(2);
  ASSERT_EQ(alices.size(), 2u);
  const auto first = nlohmann::json::parse(alices[0].data);
  EXPECT_EQ(alices[0].event, "shop.order.placed.v1");
  EXPECT_EQ(first["id"], a1);
  EXPECT_EQ(first["type"], "shop.order.placed.v1");
  EXPECT_EQ(first["subject"], "alice");
  EXPECT_EQ(first["data"]["order_id"], "o-1");
  EXPECT_EQ(first["data"]["customer_id"], "alice");
  EXPECT_TRUE(first.contains("time"));
  EXPECT_EQ(nlohmann::json::parse(alices[1].data)["id"], a2);
  EXPECT_LT(std::stoull(alices[0].id), std::stoull(alices[1].id));
  EXPECT_EQ(alice.read_events(3, std::chrono::milliseconds(200)).size(), 2u)
      << "nothing of Bob's arrives";
}

TEST_F(GatewayTest, ReconnectWithLastEventIdResumesWithoutGapOrDuplicate) {
  start();
  const std::string session = "Bearer " + token("alice");
  std::vector<std::string> published;
  std::vector<SseEvent> seen;
  {
    SseReader first(gateway_->port());
    ASSERT_EQ(first.open("/api/events", {{"Authorization", session}}), 200u);
    for (int i = 0; i < 3; ++i)
      published.push_back(publish("shop.orders", "alice", "shop.order.placed.v1"));
    seen = first.read_events(3);
    ASSERT_EQ(seen.size(), 3u);
  }  // the browser loses its connection
  while (gateway_->hub().clients() != 0) std::this_thread::yield();
  for (int i = 0; i < 3; ++i)
    published.push_back(publish("shop.orders", "alice", "shop.order.shipped.v1"));
  // The other customer's events in between must not count as a gap.
  publish("shop.orders", "bob", "shop.order.placed.v1");

  SseReader second(gateway_->port());
  ASSERT_EQ(
      second.open("/api/events", {{"Authorization", session}, {"Last-Event-ID", seen.back().id}}),
      200u);
  published.push_back(publish("shop.orders", "alice", "shop.order.completed.v1"));  // live again
  const auto resumed = second.read_events(4);
  ASSERT_EQ(resumed.size(), 4u);
  seen.insert(seen.end(), resumed.begin(), resumed.end());

  std::vector<std::string> received;
  for (const auto& e : seen) received.push_back(nlohmann::json::parse(e.data)["id"]);
  EXPECT_EQ(received, published);
  for (size_t i = 1; i < seen.size(); ++i)
    EXPECT_LT(std::stoull(seen[i - 1].id), std::stoull(seen[i].id));
}

TEST_F(GatewayTest, EventStreamSendsHeartbeatsWhileIdle) {
  config_.sse.heartbeat = std::chrono::milliseconds(50);
  start();
  SseReader reader(gateway_->port());
  ASSERT_EQ(reader.open("/api/events", {{"Authorization", "Bearer " + token("alice")}}), 200u);
  while (reader.comments() < 3 && !reader.wait_ended(std::chrono::milliseconds(100))) {
  }
  EXPECT_GE(reader.comments(), 3u) << "': connected' and at least two heartbeats";
}

TEST_F(GatewayTest, StreamThatFallsTooFarBehindIsClosed) {
  config_.sse.client_queue = 8;
  start();
  SseReader stuck(gateway_->port());  // opens its stream, then never reads
  ASSERT_EQ(stuck.open("/api/events", {{"Authorization", "Bearer " + token("alice")}}), 200u);
  const nlohmann::json big = {{"note", std::string(16 * 1024, 'x')}};
  // Socket buffers absorb a few megabytes before the gateway's writes stall and its queue fills.
  for (int round = 0; round < 400 && gateway_->hub().clients() > 0; ++round) {
    for (int i = 0; i < 50; ++i) publish("shop.orders", "alice", "shop.order.placed.v1", big);
  }
  EXPECT_EQ(gateway_->hub().clients(), 0u);
  EXPECT_NE(registry_.render().find("gateway_sse_slow_clients_total 1"), std::string::npos);
  EXPECT_TRUE(stuck.wait_ended()) << "its connection was closed";
  EXPECT_FALSE(stuck.ended_cleanly());
}

TEST_F(GatewayTest, StopLetsARequestInFlightFinish) {
  FakeUpstream slow([](const Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Response response{http::status::ok, 11};
    response.body() = R"({"slow":true})";
    return response;
  });
  config_.upstreams["shipping"] = {"127.0.0.1", slow.port()};
  start();
  std::optional<Response> answer;
  std::thread browser([&] {
    TestClient client(gateway_->port());
    answer = client.get("/api/shipping/orders/o-1");
  });
  while (slow.requests().empty()) std::this_thread::yield();
  gateway_->stop(std::chrono::seconds(10));
  browser.join();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->result(), http::status::ok);
  EXPECT_EQ(answer->body(), R"({"slow":true})");
  EXPECT_EQ((*answer)[http::field::connection], "close") << "the gateway is stopping";
}

TEST_F(GatewayTest, StopEndsEventStreamsAndClosesIdleConnections) {
  start();
  SseReader reader(gateway_->port());
  ASSERT_EQ(reader.open("/api/events", {{"Authorization", "Bearer " + token("alice")}}), 200u);
  TestClient idle(gateway_->port());
  ASSERT_TRUE(idle.get("/healthz"));
  gateway_->stop(std::chrono::seconds(10));
  EXPECT_TRUE(reader.wait_ended());
  EXPECT_TRUE(reader.ended_cleanly()) << "the stream's last chunk was written";
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_EQ(gateway_->open_connections(), 0u);
}

}  // namespace
}  // namespace velocity::gateway
