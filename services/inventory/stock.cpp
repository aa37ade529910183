#include "inventory/stock.h"

#include <algorithm>
#include <chrono>

namespace inventory {
namespace {

using velocity::ErrorCode;
using velocity::Result;
using velocity::Transaction;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS stock (
  sku       TEXT    PRIMARY KEY,
  available INTEGER NOT NULL CHECK (available >= 0),
  reserved  INTEGER NOT NULL CHECK (reserved >= 0),
  shipped   INTEGER NOT NULL CHECK (shipped >= 0)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock_adjustment (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  sku    TEXT    NOT NULL,
  delta  INTEGER NOT NULL,
  reason TEXT    NOT NULL,
  at_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS stock_adjustment_sku ON stock_adjustment (sku);
)sql";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> ensure_row(Transaction& tx, std::string_view sku) {
  auto inserted = tx.execute(
      "INSERT INTO stock (sku, available, reserved, shipped) VALUES (?, 0, 0, 0) ON CONFLICT DO "
      "NOTHING",
      sku);
  if (!inserted) return std::unexpected(inserted.error());
  return {};
}

// Runs an UPDATE guarded by "source column >= quantity" for every line, its placeholders bound
// to (quantity, quantity, sku, quantity); a line it cannot move is kOutOfRange, naming what was
// being done.
Result<void> move_lines(Transaction& tx, const std::vector<shop::StockLine>& lines,
                        std::string_view sql, std::string_view what) {
  for (const auto& line : merge_lines(lines)) {
    auto changed = tx.execute(sql, line.quantity, line.quantity, line.sku, line.quantity);
    if (!changed) return std::unexpected(changed.error());
    if (*changed != 1) {
      return velocity::fail(ErrorCode::kOutOfRange, std::string(what) + " " +
                                                        std::to_string(line.quantity) + " of " +
                                                        line.sku + ": not enough units");
    }
  }
  return {};
}

}  // namespace

Result<void> migrate_stock(velocity::Database& db) {
  return db.execute_script(kSchema);
}

Result<std::optional<StockRow>> find_stock(Transaction& tx, std::string_view sku) {
  auto row = tx.query("SELECT sku, available, reserved, shipped FROM stock WHERE sku = ?", sku);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<StockRow>();
  return std::optional(StockRow{row->text(0), row->int64(1), row->int64(2), row->int64(3)});
}

Result<std::vector<StockRow>> list_stock(Transaction& tx) {
  auto rows = tx.query("SELECT sku, available, reserved, shipped FROM stock ORDER BY sku");
  if (!rows) return std::unexpected(rows.error());
  std::vector<StockRow> out;
  while (true) {
    auto more = rows->next();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    out.push_back(StockRow{rows->text(0), rows->int64(1), rows->int64(2), rows->int64(3)});
  }
  return out;
}

Result<int64_t> count_adjustments(Transaction& tx) {
  auto row = tx.query("SELECT COUNT(*) FROM stock_adjustment");
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  return row->int64(0);
}

Result<StockRow> adjust_stock(Transaction& tx, std::string_view sku, int64_t delta,
                              std::string_view reason) {
  if (auto made = ensure_row(tx, sku); !made) return std::unexpected(made.error());
  auto changed =
      tx.execute("UPDATE stock SET available = available + ? WHERE sku = ? AND available + ? >= 0",
                 delta, sku, delta);
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) {
    return velocity::fail(ErrorCode::kOutOfRange, "adjust " + std::string(sku) + " by " +
                                                      std::to_string(delta) + ": below zero");
  }
  auto logged =
      tx.execute("INSERT INTO stock_adjustment (sku, delta, reason, at_ms) VALUES (?, ?, ?, ?)",
                 sku, delta, reason, now_ms());
  if (!logged) return std::unexpected(logged.error());
  auto row = find_stock(tx, sku);
  if (!row) return std::unexpected(row.error());
  return **row;
}

std::vector<shop::StockLine> merge_lines(const std::vector<shop::StockLine>& lines) {
  std::vector<shop::StockLine> merged;
  for (const auto& line : lines) {
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const auto& m) { return m.sku == line.sku; });
    if (same == merged.end()) {
      merged.push_back(line);
    } else {
      same->quantity += line.quantity;
    }
  }
  return merged;
}

Result<std::vector<Shortfall>> shortfalls(Transaction& tx,
                                          const std::vector<shop::StockLine>& lines) {
  std::vector<Shortfall> out;
  for (const auto& line : merge_lines(lines)) {
    auto row = find_stock(tx, line.sku);
    if (!row) return std::unexpected(row.error());
    const int64_t available = *row ? (*row)->available : 0;
    if (available < line.quantity) out.push_back(Shortfall{line.sku, line.quantity, available});
  }
  return out;
}

Result<void> hold(Transaction& tx, const std::vector<shop::StockLine>& lines) {
  return move_lines(tx, lines,
                    "UPDATE stock SET available = available - ?, reserved = reserved + ? "
                    "WHERE sku = ? AND available >= ?",
                    "hold");
}

Result<void> release(Transaction& tx, const std::vector<shop::StockLine>& lines) {
  return move_lines(tx, lines,
                    "UPDATE stock SET reserved = reserved - ?, available = available + ? "
                    "WHERE sku = ? AND reserved >= ?",
                    "release");
}

Result<void> ship_reserved(Transaction& tx, const std::vector<shop::StockLine>& lines) {
  return move_lines(tx, lines,
                    "UPDATE stock SET reserved = reserved - ?, shipped = shipped + ? "
                    "WHERE sku = ? AND reserved >= ?",
                    "ship reserved");
}

Result<int64_t> ship_available(Transaction& tx, std::string_view sku, int64_t quantity) {
  auto row = find_stock(tx, sku);
  if (!row) return std::unexpected(row.error());
  if (!*row) return 0;
  const int64_t taken = std::min(quantity, (*row)->available);
  if (taken <= 0) return 0;
  auto changed = tx.execute(
      "UPDATE stock SET available = available - ?, shipped = shipped + ? WHERE sku = ?", taken, taken,
      sku);
  if (!changed) return std::unexpected(changed.error());
  return taken;
}

Result<std::vector<shop::StockLevel>> levels(Transaction& tx,
                                             const std::vector<shop::StockLine>& lines) {
  std::vector<shop::StockLevel> out;
  for (const auto& line : merge_lines(lines)) {
    auto row = find_stock(tx, line.sku);
    if (!row) return std::unexpected(row.error());
    out.push_back(shop::StockLevel{line.sku, *row ? (*row)->available : 0});
  }
  return out;
}

}  // namespace inventory
