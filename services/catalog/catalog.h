// The catalog service: the store's products (sizes, colours, prices, images), full-text search
// over them and each SKU's availability as inventory last reported it. Serves /api/catalog/…
// (docs/api.md); consumes StockReserved, StockReleased and StockAdjusted from shop.inventory;
// publishes ProductAdded, ProductUpdated and ItemsSearched on shop.catalog.
#pragma once

#include "velocity/result.h"
#include "velocity/service.h"

namespace catalog {

// Registers schema, routes and event handlers on `service` (before it starts). On the first
// start (no products yet) it stores the seed catalogue and emits ProductAdded for each product.
[[nodiscard]] velocity::Result<void> install(velocity::Service& service);

}  // namespace catalog
