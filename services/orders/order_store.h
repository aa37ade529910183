// Orders' own tables: the orders with their history, and the replica of the catalogue that
// checkout checks prices against. Every function works inside the caller's transaction, so a
// state change and the events it emits commit together. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orders/order_status.h"
#include "shop/events.h"
#include "velocity/result.h"
#include "velocity/store.h"

namespace orders {

// CREATE TABLE IF NOT EXISTS ... for Service::migrate (the PostgreSQL engine adapts it).
extern const std::string_view kSchema;

struct HistoryEntry {
  std::string status;
  int64_t at_ms = 0;
  std::string detail;
};

struct Order {
  std::string order_id;
  std::string customer_id;
  OrderStatus status = OrderStatus::kPlaced;
  std::vector<shop::OrderLine> lines;
  shop::Address ship_to;
  int64_t total_cents = 0;
  std::string currency;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string cancel_reason_code;
  std::string cancel_reason;
  std::vector<HistoryEntry> history;
};

// The Order of docs/api.md.
nlohmann::json to_json(const Order& order);

int64_t now_ms();

[[nodiscard]] velocity::Result<void> insert_order(velocity::Transaction& tx, const Order& order,
                                                  std::string_view idempotency_key);
[[nodiscard]] velocity::Result<std::optional<Order>> load_order(velocity::Transaction& tx,
                                                                std::string_view order_id);
[[nodiscard]] velocity::Result<std::optional<Order>> find_by_idempotency_key(
    velocity::Transaction& tx, std::string_view customer_id, std::string_view key);
// The customer's orders, newest first.
[[nodiscard]] velocity::Result<std::vector<Order>> list_orders(velocity::Transaction& tx,
                                                               std::string_view customer_id);

// Stores status, cancel reason and updated time of `order`.
[[nodiscard]] velocity::Result<void> update_order(velocity::Transaction& tx, const Order& order);
// Appends to the order's history (and to order.history).
[[nodiscard]] velocity::Result<void> append_history(velocity::Transaction& tx, Order& order,
                                                    std::string status, std::string detail,
                                                    int64_t at_ms);

// --- the catalogue replica ---------------------------------------------------------------
// Adds or replaces a product and its SKUs (a SKU dropped by an update is no longer sold).
[[nodiscard]] velocity::Result<void> upsert_product(velocity::Transaction& tx,
                                                    const shop::Product& product);

struct CatalogueItem {
  shop::OrderLine line;  // sku, product_id, name, size, colour, unit_price_cents = current price
  std::string currency;
};
[[nodiscard]] velocity::Result<std::optional<CatalogueItem>> find_sku(velocity::Transaction& tx,
                                                                      std::string_view sku);

}  // namespace orders
