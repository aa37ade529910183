#include "gateway/forwarding.h"

#include <gtest/gtest.h>

#include "velocity/trace.h"

namespace velocity::gateway {
namespace {

Request browser_request() {
  Request request{http::verb::post, "/api/orders/checkout?x=1", 11};
  request.set(http::field::host, "shop.example");
  request.set("X-Velocity-Customer", "someone-else");
  request.set("x-velocity-customer", "again");
  request.set("X-VELOCITY-EDGE-KEY", "guessed");
  request.set(http::field::connection, "keep-alive, X-Secret-Hop");
  request.set("X-Secret-Hop", "1");
  request.set(http::field::upgrade, "websocket");
  request.set("Idempotency-Key", "k-1");
  request.set(http::field::expect, "100-continue");
  request.body() = R"({"lines":[]})";
  request.prepare_payload();
  return request;
}

TEST(Forwarding, IdentityHeadersFromBrowsersAreRemoved) {
  Request request = browser_request();
  strip_identity_headers(request);
  EXPECT_EQ(request.count("X-Velocity-Customer"), 0u);
  EXPECT_EQ(request.count("X-Velocity-Edge-Key"), 0u);
}

TEST(Forwarding, AnonymousRequestKeepsMethodTargetBodyAndEndToEndHeaders) {
  const config::Endpoint orders{"127.0.0.1", 8084};
  ForwardHeaders headers{std::nullopt, "edge", "req-1",
                         "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "10.0.0.7"};
  const Request out = upstream_request(browser_request(), orders, headers);
  EXPECT_EQ(out.method(), http::verb::post);
  EXPECT_EQ(out.target(), "/api/orders/checkout?x=1");
  EXPECT_EQ(out.body(), R"({"lines":[]})");
  EXPECT_EQ(out[http::field::content_length], "12");
  EXPECT_EQ(out["Idempotency-Key"], "k-1");
  EXPECT_EQ(out.count("X-Velocity-Customer"), 0u);
  EXPECT_EQ(out.count("X-Velocity-Edge-Key"), 0u);
  EXPECT_EQ(out.count("X-Secret-Hop"), 0u) << "named by Connection: hop-by-hop";
  EXPECT_EQ(out.count(http::field::upgrade), 0u);
  EXPECT_EQ(out.count(http::field::expect), 0u);
  EXPECT_EQ(out[http::field::host], "127.0.0.1:8084");
  EXPECT_EQ(out["X-Request-Id"], "req-1");
  EXPECT_EQ(out["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(out["X-Forwarded-For"], "10.0.0.7");
  EXPECT_TRUE(out.keep_alive());
}

TEST(Forwarding, VerifiedCustomerTravelsWithTheEdgeKey) {
  ForwardHeaders headers{"cust-42", "the-edge-key", "req-1", "tp", ""};
  const Request out = upstream_request(browser_request(), {"127.0.0.1", 8084}, headers);
  EXPECT_EQ(out.count("X-Velocity-Customer"), 1u);
  EXPECT_EQ(out["X-Velocity-Customer"], "cust-42");
  EXPECT_EQ(out["X-Velocity-Edge-Key"], "the-edge-key");
}

TEST(Forwarding, RequestIdIsKeptWhenSaneAndMadeOtherwise) {
  Request request{http::verb::get, "/", 11};
  request.set("X-Request-Id", "abc-123_x.y:z");
  EXPECT_EQ(request_id_for(request), "abc-123_x.y:z");
  request.set("X-Request-Id", "bad id\twith spaces");
  const std::string made = request_id_for(request);
  EXPECT_NE(made, "bad id\twith spaces");
  EXPECT_EQ(made.size(), 36u);
  request.erase("X-Request-Id");
  EXPECT_NE(request_id_for(request), request_id_for(request)) << "a new one each time";
}

TEST(Forwarding, TraceContinuesTheBrowsersTraceOrStartsOne) {
  Request request{http::verb::get, "/", 11};
  request.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto child = trace::parse_traceparent(traceparent_for(request));
  ASSERT_TRUE(child);
  EXPECT_EQ(child->trace_id_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_NE(child->parent_id_hex(), "b7ad6b7169203331");
  request.set("traceparent", "garbage");
  EXPECT_TRUE(trace::parse_traceparent(traceparent_for(request)));
}

TEST(Forwarding, AnswerLosesHopByHopHeadersAndGetsTheRequestId) {
  Response upstream{http::status::created, 11};
  upstream.set(http::field::transfer_encoding, "chunked");
  upstream.set(http::field::connection, "close");
  upstream.set(http::field::content_type, "application/json");
  upstream.body() = "{}";
  const Response out = downstream_response(std::move(upstream), "req-9", 11, true);
  EXPECT_EQ(out.result(), http::status::created);
  EXPECT_EQ(out["X-Request-Id"], "req-9");
  EXPECT_EQ(out[http::field::content_length], "2");
  EXPECT_EQ(out.count(http::field::transfer_encoding), 0u);
  EXPECT_TRUE(out.keep_alive());
}

}  // namespace
}  // namespace velocity::gateway
