#include "gateway/routing.h"

#include <gtest/gtest.h>

namespace velocity::gateway {
namespace {

TEST(Routing, ServicePathsAreForwardedToTheirService) {
  const Route route = classify("/api/orders/42/cancel?x=1");
  EXPECT_EQ(route.kind, RouteKind::kApi);
  EXPECT_EQ(route.service, "orders");
  EXPECT_EQ(classify("/api/cart").kind, RouteKind::kApi);
  EXPECT_EQ(classify("/api/notifications/anything").service, "notifications");
}

TEST(Routing, UnknownServiceIsItsOwnKind) {
  EXPECT_EQ(classify("/api/billing/x").kind, RouteKind::kUnknownService);
  EXPECT_EQ(classify("/api").kind, RouteKind::kUnknownService);
  EXPECT_EQ(classify("/api/").kind, RouteKind::kUnknownService);
  EXPECT_EQ(classify("/api/events/more").kind, RouteKind::kUnknownService);
}

TEST(Routing, AdminPathsAreBlockedInEverySpelling) {
  for (const char* target :
       {"/api/inventory/admin/adjust", "/api/inventory/ADMIN/adjust",
        "/api/inventory//admin/adjust", "/api/inventory/%61dmin/adjust", "/api/notifications/admin",
        "/api/catalog/admin%2Fproducts", "/api/catalog/admin?x=1"}) {
    const Route route = classify(target);
    EXPECT_EQ(route.kind, RouteKind::kAdminBlocked) << target;
  }
  EXPECT_EQ(classify("/api/catalog/products/admin").kind, RouteKind::kApi)
      << "only the segment after the service";
  EXPECT_EQ(classify("/api/catalog/administrators").kind, RouteKind::kApi);
}

TEST(Routing, DotSegmentsUnderApiAreRefused) {
  EXPECT_EQ(classify("/api/orders/../inventory/admin/adjust").kind, RouteKind::kBadTarget);
  EXPECT_EQ(classify("/api/orders/%2e%2e/inventory").kind, RouteKind::kBadTarget);
  EXPECT_EQ(classify("/api/orders/./x").kind, RouteKind::kBadTarget);
}

TEST(Routing, EventsOpsAndStatic) {
  EXPECT_EQ(classify("/api/events").kind, RouteKind::kEvents);
  EXPECT_EQ(classify("/api/events?token=abc").kind, RouteKind::kEvents);
  EXPECT_EQ(classify("/healthz").kind, RouteKind::kOps);
  EXPECT_EQ(classify("/metrics").kind, RouteKind::kOps);
  EXPECT_EQ(classify("/").kind, RouteKind::kStatic);
  EXPECT_EQ(classify("/orders/42").kind, RouteKind::kStatic);
  EXPECT_EQ(classify("/apix/orders").kind, RouteKind::kStatic);
}

TEST(Routing, AbsoluteFormAndEmptyTargetsAreBad) {
  EXPECT_EQ(classify("http://example.com/api/orders").kind, RouteKind::kBadTarget);
  EXPECT_EQ(classify("").kind, RouteKind::kBadTarget);
  EXPECT_EQ(classify("*").kind, RouteKind::kBadTarget);
}

TEST(Routing, QueryParametersAreDecoded) {
  EXPECT_EQ(query_parameter("/api/events?a=1&token=v1.ab%2Bc&x", "token"), "v1.ab+c");
  EXPECT_EQ(query_parameter("/api/events?q=crew+bl", "q"), "crew bl");
  EXPECT_EQ(query_parameter("/api/events?tokens=1", "token"), "");
  EXPECT_EQ(query_parameter("/api/events", "token"), "");
}

TEST(Routing, PercentDecodingKeepsMalformedEscapes) {
  EXPECT_EQ(percent_decode("a%20b"), "a b");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
}

}  // namespace
}  // namespace velocity::gateway
