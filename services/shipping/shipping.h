// The shipping service: a simulated carrier. It schedules a shipment for every confirmed order,
// dispatches it and later delivers it on durable timers (which survive restarts), and cancels it
// when the order is cancelled before dispatch; see README.md.
#pragma once

#include <chrono>
#include <string>

#include "velocity/config.h"
#include "velocity/result.h"
#include "velocity/service.h"

namespace shipping {

struct ShippingOptions {
  std::chrono::milliseconds dispatch_after{
      std::chrono::seconds(5)};  // VELOCITY_SHIPPING_DISPATCH_AFTER
  std::chrono::milliseconds deliver_after{
      std::chrono::seconds(10)};  // VELOCITY_SHIPPING_DELIVER_AFTER
  std::string carrier = "Velocity Express";

  [[nodiscard]] static velocity::Result<ShippingOptions> from_env(
      const velocity::config::Env& env = velocity::config::Env());
};

// Creates the schema and registers the route, the event handlers and the timer handler on
// `service` (call before service.start()). `service` must outlive its use.
[[nodiscard]] velocity::Result<void> install(velocity::Service& service,
                                             ShippingOptions options = {});

}  // namespace shipping
