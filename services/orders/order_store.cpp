#include "orders/order_store.h"

#include <chrono>

#include "velocity/event.h"

namespace orders {

const std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS orders (
  order_id           TEXT    PRIMARY KEY,
  customer_id        TEXT    NOT NULL,
  idempotency_key    TEXT    NOT NULL,
  status             TEXT    NOT NULL,
  lines              TEXT    NOT NULL,
  ship_to            TEXT    NOT NULL,
  total_cents        INTEGER NOT NULL,
  currency           TEXT    NOT NULL,
  created_ms         INTEGER NOT NULL,
  updated_ms         INTEGER NOT NULL,
  cancel_reason_code TEXT    NOT NULL DEFAULT '',
  cancel_reason      TEXT    NOT NULL DEFAULT '',
  UNIQUE (customer_id, idempotency_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer_id, created_ms);
CREATE TABLE IF NOT EXISTS order_history (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT    NOT NULL,
  status   TEXT    NOT NULL,
  at_ms    INTEGER NOT NULL,
  detail   TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS order_history_by_order ON order_history (order_id, id);
CREATE TABLE IF NOT EXISTS catalogue_product (
  product_id  TEXT    PRIMARY KEY,
  name        TEXT    NOT NULL,
  price_cents INTEGER NOT NULL,
  currency    TEXT    NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS catalogue_sku (
  sku        TEXT PRIMARY KEY,
  product_id TEXT NOT NULL,
  size       TEXT NOT NULL,
  colour     TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS catalogue_sku_by_product ON catalogue_sku (product_id);
)sql";

namespace {

using velocity::Result;

constexpr std::string_view kColumns =
    "order_id, customer_id, status, lines, ship_to, total_cents, currency, created_ms, updated_ms, "
    "cancel_reason_code, cancel_reason";

std::string at(int64_t ms) {
  return velocity::format_rfc3339(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

Result<Order> read_row(const velocity::Statement& row) {
  Order order;
  order.order_id = row.text(0);
  order.customer_id = row.text(1);
  const auto status = parse_status(row.text(2));
  if (!status)
    return velocity::fail(velocity::ErrorCode::kCorrupt,
                          "order " + order.order_id + ": status " + row.text(2));
  order.status = *status;
  try {
    order.lines = nlohmann::json::parse(row.text(3)).get<std::vector<shop::OrderLine>>();
    order.ship_to = nlohmann::json::parse(row.text(4)).get<shop::Address>();
  } catch (const nlohmann::json::exception& e) {
    return velocity::fail(velocity::ErrorCode::kCorrupt,
                          "order " + order.order_id + ": " + e.what());
  }
  order.total_cents = row.int64(5);
  order.currency = row.text(6);
  order.created_ms = row.int64(7);
  order.updated_ms = row.int64(8);
  order.cancel_reason_code = row.text(9);
  order.cancel_reason = row.text(10);
  return order;
}

Result<void> load_history(velocity::Transaction& tx, Order& order) {
  auto rows =
      tx.query("SELECT status, at_ms, detail FROM order_history WHERE order_id = ? ORDER BY id",
               order.order_id);
  if (!rows) return std::unexpected(rows.error());
  while (true) {
    auto more = rows->next();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    order.history.push_back(HistoryEntry{rows->text(0), rows->int64(1), rows->text(2)});
  }
  return {};
}

// Orders from a query selecting kColumns, each with its history.
template <typename... Ps>
Result<std::vector<Order>> query_orders(velocity::Transaction& tx, const std::string& sql,
                                        const Ps&... params) {
  std::vector<Order> orders;
  {
    auto rows = tx.query(sql, params...);
    if (!rows) return std::unexpected(rows.error());
    while (true) {
      auto more = rows->next();
      if (!more) return std::unexpected(more.error());
      if (!*more) break;
      auto order = read_row(*rows);
      if (!order) return std::unexpected(order.error());
      orders.push_back(std::move(*order));
    }
  }
  for (auto& order : orders) {
    if (auto loaded = load_history(tx, order); !loaded) return std::unexpected(loaded.error());
  }
  return orders;
}

Result<std::optional<Order>> first(Result<std::vector<Order>> orders) {
  if (!orders) return std::unexpected(orders.error());
  if (orders->empty()) return std::optional<Order>();
  return std::optional<Order>(std::move(orders->front()));
}

}  // namespace

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json to_json(const Order& order) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& entry : order.history) {
    history.push_back(
        {{"status", entry.status}, {"at", at(entry.at_ms)}, {"detail", entry.detail}});
  }
  return {{"order_id", order.order_id},
          {"customer_id", order.customer_id},
          {"status", to_string(order.status)},
          {"lines", order.lines},
          {"ship_to", order.ship_to},
          {"total_cents", order.total_cents},
          {"currency", order.currency},
          {"created_at", at(order.created_ms)},
          {"updated_at", at(order.updated_ms)},
          {"cancel_reason_code", order.cancel_reason_code},
          {"cancel_reason", order.cancel_reason},
          {"history", history}};
}

Result<void> insert_order(velocity::Transaction& tx, const Order& order,
                          std::string_view idempotency_key) {
  auto inserted = tx.execute(
      "INSERT INTO orders (order_id, customer_id, idempotency_key, status, lines, ship_to, "
      "total_cents, currency, "
      "created_ms, updated_ms, cancel_reason_code, cancel_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?)",
      order.order_id, order.customer_id, idempotency_key, to_string(order.status),
      nlohmann::json(order.lines).dump(), nlohmann::json(order.ship_to).dump(), order.total_cents,
      order.currency, order.created_ms, order.updated_ms, order.cancel_reason_code,
      order.cancel_reason);
  if (!inserted) return std::unexpected(inserted.error());
  for (const auto& entry : order.history) {
    auto added = tx.execute(
        "INSERT INTO order_history (order_id, status, at_ms, detail) VALUES (?, ?, ?, ?)",
        order.order_id, entry.status, entry.at_ms, entry.detail);
    if (!added) return std::unexpected(added.error());
  }
  return {};
}

Result<std::optional<Order>> load_order(velocity::Transaction& tx, std::string_view order_id) {
  return first(query_orders(
      tx, "SELECT " + std::string(kColumns) + " FROM orders WHERE order_id = ?", order_id));
}

Result<std::optional<Order>> find_by_idempotency_key(velocity::Transaction& tx,
                                                     std::string_view customer_id,
                                                     std::string_view key) {
  return first(query_orders(tx,
                            "SELECT " + std::string(kColumns) +
                                " FROM orders WHERE customer_id = ? AND idempotency_key = ?",
                            customer_id, key));
}

Result<std::vector<Order>> list_orders(velocity::Transaction& tx, std::string_view customer_id) {
  return query_orders(
      tx,
      "SELECT " + std::string(kColumns) +
          " FROM orders WHERE customer_id = ? ORDER BY created_ms DESC, order_id DESC",
      customer_id);
}

Result<void> update_order(velocity::Transaction& tx, const Order& order) {
  auto updated = tx.execute(
      "UPDATE orders SET status = ?, updated_ms = ?, cancel_reason_code = ?, cancel_reason = ? "
      "WHERE order_id = ?",
      to_string(order.status), order.updated_ms, order.cancel_reason_code, order.cancel_reason,
      order.order_id);
  if (!updated) return std::unexpected(updated.error());
  if (*updated != 1)
    return velocity::fail(velocity::ErrorCode::kNotFound, "order " + order.order_id);
  return {};
}

Result<void> append_history(velocity::Transaction& tx, Order& order, std::string status,
                            std::string detail, int64_t at_ms) {
  auto added =
      tx.execute("INSERT INTO order_history (order_id, status, at_ms, detail) VALUES (?, ?, ?, ?)",
                 order.order_id, status, at_ms, detail);
  if (!added) return std::unexpected(added.error());
  order.history.push_back(HistoryEntry{std::move(status), at_ms, std::move(detail)});
  return {};
}

Result<void> upsert_product(velocity::Transaction& tx, const shop::Product& product) {
  auto stored = tx.execute(
      "INSERT INTO catalogue_product (product_id, name, price_cents, currency) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (product_id) DO UPDATE SET name = excluded.name, price_cents = "
      "excluded.price_cents, "
      "currency = excluded.currency",
      product.product_id, product.name, product.price_cents, product.currency);
  if (!stored) return std::unexpected(stored.error());
  if (auto dropped =
          tx.execute("DELETE FROM catalogue_sku WHERE product_id = ?", product.product_id);
      !dropped) {
    return std::unexpected(dropped.error());
  }
  for (const auto& sku : product.skus) {
    auto added = tx.execute(
        "INSERT INTO catalogue_sku (sku, product_id, size, colour) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (sku) DO UPDATE SET product_id = excluded.product_id, size = excluded.size, "
        "colour = excluded.colour",
        sku.sku, product.product_id, sku.size, sku.colour);
    if (!added) return std::unexpected(added.error());
  }
  return {};
}

Result<std::optional<CatalogueItem>> find_sku(velocity::Transaction& tx, std::string_view sku) {
  auto row = tx.query(
      "SELECT s.sku, s.product_id, p.name, s.size, s.colour, p.price_cents, p.currency "
      "FROM catalogue_sku s JOIN catalogue_product p ON p.product_id = s.product_id WHERE s.sku = "
      "?",
      sku);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<CatalogueItem>();
  CatalogueItem item;
  item.line.sku = row->text(0);
  item.line.product_id = row->text(1);
  item.line.name = row->text(2);
  item.line.size = row->text(3);
  item.line.colour = row->text(4);
  item.line.unit_price_cents = row->int64(5);
  item.currency = row->text(6);
  return std::optional<CatalogueItem>(std::move(item));
}

}  // namespace orders
