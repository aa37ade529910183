// The cart service: one cart per customer, priced from its own replica of the catalogue.
// Serves /api/cart/… (docs/api.md); consumes ProductAdded/ProductUpdated from shop.catalog
// (the replica) and OrderPlaced from shop.orders (ordered lines leave the cart); publishes
// CartItemAdded and CartItemRemoved on shop.carts, keyed by customer id.
#pragma once

#include "velocity/result.h"
#include "velocity/service.h"

namespace cart {

inline constexpr int64_t kMaxLineQuantity = 99;

// Registers schema, routes and event handlers on `service` (before it starts).
[[nodiscard]] velocity::Result<void> install(velocity::Service& service);

}  // namespace cart
