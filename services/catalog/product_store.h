// The catalog's tables: products, their SKUs, the FTS5 index over name, description and colours,
// and the availability read model fed by inventory's stock levels. Functions run inside the
// caller's transaction, so a product and the event announcing it commit together.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "shop/events.h"
#include "velocity/store.h"

namespace catalog {

extern const std::string_view kSchema;

// Inserts or replaces `product` and its SKUs (SKUs it no longer lists are dropped) and
// refreshes its search entry. Returns true when it was new.
[[nodiscard]] velocity::Result<bool> save_product(velocity::Transaction& tx,
                                                  const shop::Product& product);

// The product as stored (without availability), or nullopt.
[[nodiscard]] velocity::Result<std::optional<shop::Product>> load_product(
    velocity::Transaction& tx, const std::string& product_id);

// The product as the API shows it: docs/api.md's Product, each SKU with `available` and the
// product with `in_stock` (some SKU has units). nullopt when there is no such product.
[[nodiscard]] velocity::Result<std::optional<nlohmann::json>> product_view(
    velocity::Transaction& tx, const std::string& product_id);

// The product id that already owns `sku`, if any.
[[nodiscard]] velocity::Result<std::optional<std::string>> sku_owner(velocity::Transaction& tx,
                                                                     const std::string& sku);

[[nodiscard]] velocity::Result<int64_t> count_products(velocity::Transaction& tx);

// Records inventory's levels as of `as_of` (the stock event's time). Stock events about one SKU
// travel on different keys (order ids, the SKU), so they may arrive out of order: a level older
// than the one stored is ignored, which keeps the newest report whatever the arrival order.
[[nodiscard]] velocity::Result<void> apply_levels(velocity::Transaction& tx,
                                                  std::span<const shop::StockLevel> levels,
                                                  std::chrono::system_clock::time_point as_of);

}  // namespace catalog
