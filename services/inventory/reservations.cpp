#include "inventory/reservations.h"

#include <chrono>

namespace inventory {
namespace {

using velocity::Result;
using velocity::Transaction;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS reservation (
  order_id    TEXT    PRIMARY KEY,
  customer_id TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  created_ms  INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reservation_line (
  order_id TEXT    NOT NULL,
  sku      TEXT    NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, sku)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dispatch_shortfall (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT    NOT NULL,
  sku      TEXT    NOT NULL,
  missing  INTEGER NOT NULL,
  at_ms    INTEGER NOT NULL
);
)sql";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<void> migrate_reservations(velocity::Database& db) {
  return db.execute_script(kSchema);
}

Result<std::optional<Reservation>> find_reservation(Transaction& tx, std::string_view order_id) {
  Reservation r;
  {
    auto row = tx.query("SELECT order_id, customer_id, status FROM reservation WHERE order_id = ?",
                        order_id);
    if (!row) return std::unexpected(row.error());
    auto found = row->next();
    if (!found) return std::unexpected(found.error());
    if (!*found) return std::optional<Reservation>();
    r.order_id = row->text(0);
    r.customer_id = row->text(1);
    r.status = row->text(2);
  }
  auto lines = tx.query(
      "SELECT sku, quantity FROM reservation_line WHERE order_id = ? ORDER BY sku", order_id);
  if (!lines) return std::unexpected(lines.error());
  while (true) {
    auto more = lines->next();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    r.lines.push_back(shop::StockLine{lines->text(0), lines->int64(1)});
  }
  return std::optional(std::move(r));
}

Result<void> insert_reservation(Transaction& tx, const Reservation& reservation) {
  const auto now = now_ms();
  auto inserted = tx.execute(
      "INSERT INTO reservation (order_id, customer_id, status, created_ms, updated_ms) VALUES (?, "
      "?, ?, ?, ?) "
      "ON CONFLICT DO NOTHING",
      reservation.order_id, reservation.customer_id, reservation.status, now, now);
  if (!inserted) return std::unexpected(inserted.error());
  if (*inserted != 1) {
    return velocity::fail(velocity::ErrorCode::kAlreadyExists,
                          "reservation of " + reservation.order_id);
  }
  for (const auto& line : reservation.lines) {
    auto added =
        tx.execute("INSERT INTO reservation_line (order_id, sku, quantity) VALUES (?, ?, ?)",
                   reservation.order_id, line.sku, line.quantity);
    if (!added) return std::unexpected(added.error());
  }
  return {};
}

Result<void> set_reservation_status(Transaction& tx, std::string_view order_id,
                                    std::string_view status) {
  auto updated = tx.execute("UPDATE reservation SET status = ?, updated_ms = ? WHERE order_id = ?",
                            status, now_ms(), order_id);
  if (!updated) return std::unexpected(updated.error());
  return {};
}

Result<void> record_dispatch_shortfall(Transaction& tx, std::string_view order_id,
                                       std::string_view sku, int64_t missing) {
  auto added = tx.execute(
      "INSERT INTO dispatch_shortfall (order_id, sku, missing, at_ms) VALUES (?, ?, ?, ?)",
      order_id, sku, missing, now_ms());
  if (!added) return std::unexpected(added.error());
  return {};
}

}  // namespace inventory
