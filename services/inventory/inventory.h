// The inventory service: stock per SKU, the adjustments ledger and the reservations of orders.
// It reserves an order's lines all or none, releases them when the order is cancelled or its
// payment declined, and moves them to shipped when the shipment leaves; see README.md.
#pragma once

#include "velocity/result.h"
#include "velocity/service.h"

namespace inventory {

// Creates the schema, stocks every seed SKU on first start, and registers the routes and the
// event handlers on `service` (call before service.start()). `service` must outlive its use.
[[nodiscard]] velocity::Result<void> install(velocity::Service& service);

}  // namespace inventory
