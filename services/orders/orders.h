// The orders service: checkout, the customer's orders, and the order's side of the
// choreographed saga. It keeps its own replica of the catalogue (prices are checked against
// it), moves each order through its status machine as inventory, payments and shipping report
// back, and publishes OrderPlaced/Confirmed/Cancelled/Completed on shop.orders.
// install() registers schema, routes, event handlers and the order timer on a Service, which
// then owns them; every handler is thread-safe.
#pragma once

#include <chrono>
#include <string_view>

#include "velocity/config.h"
#include "velocity/result.h"
#include "velocity/service.h"

namespace orders {

// Why an order that the saga never moved past `placed` was cancelled. Not (yet) one of the
// codes of shop::cancel_reason, which only names the saga's own outcomes.
inline constexpr std::string_view kTimeoutReasonCode = "timeout";
inline constexpr std::string_view kTimeoutReason = "We could not process your order in time.";
inline constexpr std::string_view kCustomerReason = "Cancelled at your request.";
// The saga timer's name; its saga id is the order id.
inline constexpr std::string_view kOrderTimeoutTimer = "order-timeout";

struct OrdersOptions {
  // An order still `placed` after this long is cancelled; zero disables the timer.
  std::chrono::milliseconds order_timeout = std::chrono::minutes(2);

  // VELOCITY_ORDER_TIMEOUT ("2m", "30s", "0" to disable).
  [[nodiscard]] static velocity::Result<OrdersOptions> from_env(
      const velocity::config::Env& env = {});
};

[[nodiscard]] velocity::Result<void> install(velocity::Service& service,
                                             OrdersOptions options = {});

}  // namespace orders
