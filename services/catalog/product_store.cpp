#include "catalog/product_store.h"

#include <algorithm>

namespace catalog {
namespace {

int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The colours of a product once each, in the order its SKUs list them: the search entry's
// third column, so "navy" finds every product that comes in navy.
std::string colour_words(const shop::Product& product) {
  std::vector<std::string> seen;
  std::string words;
  for (const auto& sku : product.skus) {
    if (std::find(seen.begin(), seen.end(), sku.colour) != seen.end()) continue;
    seen.push_back(sku.colour);
    if (!words.empty()) words += ' ';
    words += sku.colour;
  }
  return words;
}

}  // namespace

const std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS products (
  seq          INTEGER PRIMARY KEY,   -- order of first listing; the rowid of its search entry
  product_id   TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  description  TEXT NOT NULL,
  category     TEXT NOT NULL,
  price_cents  INTEGER NOT NULL,
  currency     TEXT NOT NULL,
  image        TEXT NOT NULL,
  updated_at   INTEGER NOT NULL       -- ms since the epoch
);
CREATE TABLE IF NOT EXISTS skus (
  sku        TEXT PRIMARY KEY,
  product_id TEXT NOT NULL,
  size       TEXT NOT NULL,
  colour     TEXT NOT NULL,
  position   INTEGER NOT NULL         -- order within the product
);
CREATE INDEX IF NOT EXISTS skus_by_product ON skus (product_id, position);
CREATE VIRTUAL TABLE IF NOT EXISTS product_search
  USING fts5(name, description, colours, tokenize = 'unicode61 remove_diacritics 2');
-- Availability read model: units left to sell per SKU, as inventory last reported them.
CREATE TABLE IF NOT EXISTS stock (
  sku       TEXT PRIMARY KEY,
  available INTEGER NOT NULL,
  as_of     INTEGER NOT NULL          -- time of the stock event, ms since the epoch
);
)sql";

velocity::Result<bool> save_product(velocity::Transaction& tx, const shop::Product& product) {
  auto existing = tx.query("SELECT seq FROM products WHERE product_id = ?", product.product_id);
  if (!existing) return std::unexpected(existing.error());
  auto found = existing->next();
  if (!found) return std::unexpected(found.error());
  const auto now = to_ms(std::chrono::system_clock::now());
  int64_t seq = 0;
  if (*found) {
    seq = existing->int64(0);
    auto updated = tx.execute(
        "UPDATE products SET name = ?, description = ?, category = ?, price_cents = ?, currency = "
        "?, image = ?, "
        "updated_at = ? WHERE seq = ?",
        product.name, product.description, product.category, product.price_cents, product.currency,
        product.image, now, seq);
    if (!updated) return std::unexpected(updated.error());
    auto unindexed = tx.execute("DELETE FROM product_search WHERE rowid = ?", seq);
    if (!unindexed) return std::unexpected(unindexed.error());
  } else {
    auto inserted = tx.execute(
        "INSERT INTO products (product_id, name, description, category, price_cents, currency, "
        "image, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        product.product_id, product.name, product.description, product.category,
        product.price_cents, product.currency, product.image, now);
    if (!inserted) return std::unexpected(inserted.error());
    seq = tx.last_insert_id();
  }
  auto dropped = tx.execute("DELETE FROM skus WHERE product_id = ?", product.product_id);
  if (!dropped) return std::unexpected(dropped.error());
  int64_t position = 0;
  for (const auto& sku : product.skus) {
    auto added = tx.execute(
        "INSERT INTO skus (sku, product_id, size, colour, position) VALUES (?, ?, ?, ?, ?)",
        sku.sku, product.product_id, sku.size, sku.colour, position++);
    if (!added) return std::unexpected(added.error());
  }
  auto indexed = tx.execute(
      "INSERT INTO product_search (rowid, name, description, colours) VALUES (?, ?, ?, ?)", seq,
      product.name, product.description, colour_words(product));
  if (!indexed) return std::unexpected(indexed.error());
  return !*found;
}

velocity::Result<std::optional<shop::Product>> load_product(velocity::Transaction& tx,
                                                            const std::string& product_id) {
  auto row = tx.query(
      "SELECT product_id, name, description, category, price_cents, currency, image FROM products "
      "WHERE product_id = ?",
      product_id);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<shop::Product>();
  shop::Product product{row->text(0),  row->text(1), row->text(2), row->text(3),
                        row->int64(4), row->text(5), row->text(6), {}};
  auto skus = tx.query("SELECT sku, size, colour FROM skus WHERE product_id = ? ORDER BY position",
                       product_id);
  if (!skus) return std::unexpected(skus.error());
  while (true) {
    auto next = skus->next();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    product.skus.push_back(shop::Sku{skus->text(0), skus->text(1), skus->text(2)});
  }
  return std::optional<shop::Product>(std::move(product));
}

velocity::Result<std::optional<nlohmann::json>> product_view(velocity::Transaction& tx,
                                                             const std::string& product_id) {
  auto product = load_product(tx, product_id);
  if (!product) return std::unexpected(product.error());
  if (!*product) return std::optional<nlohmann::json>();
  nlohmann::json view = **product;
  auto skus = tx.query(
      "SELECT s.sku, s.size, s.colour, COALESCE(k.available, 0) FROM skus s LEFT JOIN stock k ON "
      "k.sku = s.sku "
      "WHERE s.product_id = ? ORDER BY s.position",
      product_id);
  if (!skus) return std::unexpected(skus.error());
  nlohmann::json lines = nlohmann::json::array();
  bool in_stock = false;
  while (true) {
    auto next = skus->next();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    const auto available = std::max<int64_t>(skus->int64(3), 0);
    in_stock = in_stock || available > 0;
    lines.push_back({{"sku", skus->text(0)},
                     {"size", skus->text(1)},
                     {"colour", skus->text(2)},
                     {"available", available}});
  }
  view["skus"] = std::move(lines);
  view["in_stock"] = in_stock;
  return std::optional<nlohmann::json>(std::move(view));
}

velocity::Result<std::optional<std::string>> sku_owner(velocity::Transaction& tx,
                                                       const std::string& sku) {
  auto row = tx.query("SELECT product_id FROM skus WHERE sku = ?", sku);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<std::string>();
  return std::optional<std::string>(row->text(0));
}

velocity::Result<int64_t> count_products(velocity::Transaction& tx) {
  auto row = tx.query("SELECT COUNT(*) FROM products");
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  return row->int64(0);
}

velocity::Result<void> apply_levels(velocity::Transaction& tx,
                                    std::span<const shop::StockLevel> levels,
                                    std::chrono::system_clock::time_point as_of) {
  const auto ms = to_ms(as_of);
  for (const auto& level : levels) {
    auto stored = tx.execute(
        "INSERT INTO stock (sku, available, as_of) VALUES (?, ?, ?) "
        "ON CONFLICT (sku) DO UPDATE SET available = excluded.available, as_of = excluded.as_of "
        "WHERE excluded.as_of >= stock.as_of",
        level.sku, level.available, ms);
    if (!stored) return std::unexpected(stored.error());
  }
  return {};
}

}  // namespace catalog
