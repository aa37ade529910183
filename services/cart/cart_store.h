// The cart's tables: the catalogue replica (what each SKU is and costs, from catalog's events)
// and the cart lines of every customer. Functions run inside the caller's transaction, so a
// line and the event announcing its change commit together.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "shop/events.h"
#include "velocity/store.h"

namespace cart {

// CREATE TABLE IF NOT EXISTS ... for Service::migrate (the PostgreSQL engine adapts it).
extern const std::string_view kSchema;

// What the replica knows of one SKU.
struct CatalogueEntry {
  std::string sku;
  std::string product_id;
  bool listed = false;  // false once its product stopped listing it: it can no longer be added
};

// Records `product` as of `as_of` (its event's time): its SKUs become known and listed, SKUs it
// no longer lists stay known (lines holding them still show) but unlisted. An event older than
// the one already applied for the product is ignored, so a late redelivery cannot roll back.
[[nodiscard]] velocity::Result<void> apply_product(velocity::Transaction& tx,
                                                   const shop::Product& product,
                                                   std::chrono::system_clock::time_point as_of);

[[nodiscard]] velocity::Result<std::optional<CatalogueEntry>> find_sku(velocity::Transaction& tx,
                                                                       const std::string& sku);

// Units of `sku` in the customer's cart (0: no line).
[[nodiscard]] velocity::Result<int64_t> line_quantity(velocity::Transaction& tx,
                                                      const std::string& customer_id,
                                                      const std::string& sku);

// Sets the line to `quantity` units, creating it at the end of the cart or, for 0, removing it.
[[nodiscard]] velocity::Result<void> set_line(velocity::Transaction& tx,
                                              const std::string& customer_id,
                                              const std::string& sku, int64_t quantity);

// docs/api.md's Cart: {customer_id, lines: [...], total_cents, currency}, priced as now listed.
[[nodiscard]] velocity::Result<nlohmann::json> cart_view(velocity::Transaction& tx,
                                                         const std::string& customer_id);

}  // namespace cart
