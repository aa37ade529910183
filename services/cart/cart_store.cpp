#include "cart/cart_store.h"

namespace cart {

const std::string_view kSchema = R"sql(
-- Replica of catalog's products, one row per SKU ever listed.
CREATE TABLE IF NOT EXISTS catalogue (
  sku         TEXT PRIMARY KEY,
  product_id  TEXT NOT NULL,
  name        TEXT NOT NULL,
  size        TEXT NOT NULL,
  colour      TEXT NOT NULL,
  image       TEXT NOT NULL,
  price_cents INTEGER NOT NULL,
  currency    TEXT NOT NULL,
  listed      INTEGER NOT NULL        -- 1 while its product lists it
);
CREATE INDEX IF NOT EXISTS catalogue_by_product ON catalogue (product_id);
-- Time (ms since the epoch) of the newest catalog event applied per product.
CREATE TABLE IF NOT EXISTS catalogue_versions (
  product_id TEXT PRIMARY KEY,
  as_of      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cart_lines (
  customer_id TEXT NOT NULL,
  sku         TEXT NOT NULL,
  quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
  position    INTEGER NOT NULL,       -- order in which lines were first added
  PRIMARY KEY (customer_id, sku)
);
)sql";

velocity::Result<void> apply_product(velocity::Transaction& tx, const shop::Product& product,
                                     std::chrono::system_clock::time_point as_of) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(as_of.time_since_epoch()).count();
  auto newer = tx.execute(
      "INSERT INTO catalogue_versions (product_id, as_of) VALUES (?, ?) "
      "ON CONFLICT (product_id) DO UPDATE SET as_of = excluded.as_of WHERE excluded.as_of >= "
      "catalogue_versions.as_of",
      product.product_id, ms);
  if (!newer) return std::unexpected(newer.error());
  if (*newer == 0) return {};  // an older version of the product than the one applied

  // Name, image and price belong to the product, so SKUs it dropped take them too.
  auto unlisted = tx.execute(
      "UPDATE catalogue SET listed = 0, name = ?, image = ?, price_cents = ?, currency = ? WHERE "
      "product_id = ?",
      product.name, product.image, product.price_cents, product.currency, product.product_id);
  if (!unlisted) return std::unexpected(unlisted.error());
  for (const auto& sku : product.skus) {
    auto stored = tx.execute(
        "INSERT INTO catalogue (sku, product_id, name, size, colour, image, price_cents, currency, "
        "listed) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) "
        "ON CONFLICT (sku) DO UPDATE SET product_id = excluded.product_id, name = excluded.name, "
        "size = excluded.size, colour = excluded.colour, image = excluded.image, "
        "price_cents = excluded.price_cents, currency = excluded.currency, listed = 1",
        sku.sku, product.product_id, product.name, sku.size, sku.colour, product.image,
        product.price_cents, product.currency);
    if (!stored) return std::unexpected(stored.error());
  }
  return {};
}

velocity::Result<std::optional<CatalogueEntry>> find_sku(velocity::Transaction& tx,
                                                         const std::string& sku) {
  auto row = tx.query("SELECT sku, product_id, listed FROM catalogue WHERE sku = ?", sku);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<CatalogueEntry>();
  return std::optional<CatalogueEntry>(
      CatalogueEntry{row->text(0), row->text(1), row->int64(2) != 0});
}

velocity::Result<int64_t> line_quantity(velocity::Transaction& tx, const std::string& customer_id,
                                        const std::string& sku) {
  auto row = tx.query("SELECT quantity FROM cart_lines WHERE customer_id = ? AND sku = ?",
                      customer_id, sku);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  return *found ? row->int64(0) : 0;
}

velocity::Result<void> set_line(velocity::Transaction& tx, const std::string& customer_id,
                                const std::string& sku, int64_t quantity) {
  auto changed =
      quantity <= 0
          ? tx.execute("DELETE FROM cart_lines WHERE customer_id = ? AND sku = ?", customer_id, sku)
          : tx.execute(
                "INSERT INTO cart_lines (customer_id, sku, quantity, position) "
                "VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM cart_lines WHERE "
                "customer_id = ?)) "
                "ON CONFLICT (customer_id, sku) DO UPDATE SET quantity = excluded.quantity",
                customer_id, sku, quantity, customer_id);
  if (!changed) return std::unexpected(changed.error());
  return {};
}

velocity::Result<nlohmann::json> cart_view(velocity::Transaction& tx,
                                           const std::string& customer_id) {
  auto rows = tx.query(
      "SELECT l.sku, c.product_id, c.name, c.size, c.colour, c.image, l.quantity, c.price_cents, "
      "c.currency "
      "FROM cart_lines l JOIN catalogue c ON c.sku = l.sku WHERE l.customer_id = ? ORDER BY "
      "l.position",
      customer_id);
  if (!rows) return std::unexpected(rows.error());
  nlohmann::json lines = nlohmann::json::array();
  int64_t total = 0;
  std::string currency;
  while (true) {
    auto next = rows->next();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    const auto quantity = rows->int64(6);
    const auto unit = rows->int64(7);
    total += quantity * unit;
    if (currency.empty()) currency = rows->text(8);
    lines.push_back({{"sku", rows->text(0)},
                     {"product_id", rows->text(1)},
                     {"name", rows->text(2)},
                     {"size", rows->text(3)},
                     {"colour", rows->text(4)},
                     {"image", rows->text(5)},
                     {"quantity", quantity},
                     {"unit_price_cents", unit},
                     {"line_total_cents", quantity * unit}});
  }
  return nlohmann::json{{"customer_id", customer_id},
                        {"lines", std::move(lines)},
                        {"total_cents", total},
                        {"currency", currency.empty() ? "EUR" : currency}};
}

}  // namespace cart
