#include "shipping/shipments.h"

#include <nlohmann/json.hpp>

namespace shipping {
namespace {

using velocity::Result;
using velocity::Transaction;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS known_order (
  order_id     TEXT    PRIMARY KEY,
  customer_id  TEXT    NOT NULL,
  lines        TEXT,
  cancelled_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shipment (
  shipment_id     TEXT    PRIMARY KEY,
  order_id        TEXT    NOT NULL UNIQUE,
  customer_id     TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  carrier         TEXT    NOT NULL,
  tracking_number TEXT    NOT NULL DEFAULT '',
  lines           TEXT    NOT NULL,
  scheduled_ms    INTEGER NOT NULL,
  dispatched_ms   INTEGER,
  delivered_ms    INTEGER,
  cancelled_ms    INTEGER,
  late_cancel_ms  INTEGER
) WITHOUT ROWID;
)sql";

int64_t to_ms(Time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Time from_ms(int64_t ms) {
  return Time(std::chrono::milliseconds(ms));
}
std::optional<Time> optional_time(const velocity::Statement& row, int column) {
  auto ms = row.optional_int64(column);
  if (!ms) return std::nullopt;
  return from_ms(*ms);
}

std::vector<shop::StockLine> parse_lines(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  std::vector<shop::StockLine> lines;
  if (!json.is_array()) return lines;
  for (const auto& item : json) {
    if (item.is_object()) lines.push_back(item.get<shop::StockLine>());
  }
  return lines;
}

Result<void> changed(Result<int64_t> r) {
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace

Result<void> migrate_shipments(velocity::Database& db) {
  return db.execute_script(kSchema);
}

Result<std::optional<KnownOrder>> find_order(Transaction& tx, std::string_view order_id) {
  auto row = tx.query(
      "SELECT order_id, customer_id, lines, cancelled_ms FROM known_order WHERE order_id = ?",
      order_id);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<KnownOrder>();
  KnownOrder order{row->text(0), row->text(1), std::nullopt, !row->is_null(3)};
  if (!row->is_null(2)) order.lines = parse_lines(row->text(2));
  return std::optional(std::move(order));
}

Result<void> remember_lines(Transaction& tx, std::string_view order_id,
                            std::string_view customer_id,
                            const std::vector<shop::StockLine>& lines) {
  const std::string text = nlohmann::json(lines).dump();
  return changed(tx.execute(
      "INSERT INTO known_order (order_id, customer_id, lines) VALUES (?, ?, ?) "
      "ON CONFLICT (order_id) DO UPDATE SET lines = excluded.lines WHERE known_order.lines IS NULL",
      order_id, customer_id, text));
}

Result<void> remember_cancel(Transaction& tx, std::string_view order_id,
                             std::string_view customer_id) {
  const auto now = to_ms(std::chrono::system_clock::now());
  return changed(
      tx.execute("INSERT INTO known_order (order_id, customer_id, cancelled_ms) VALUES (?, ?, ?) "
                 "ON CONFLICT (order_id) DO UPDATE SET cancelled_ms = "
                 "COALESCE(known_order.cancelled_ms, excluded.cancelled_ms)",
                 order_id, customer_id, now));
}

Result<std::optional<Shipment>> find_shipment(Transaction& tx, std::string_view order_id) {
  auto row = tx.query(
      "SELECT shipment_id, order_id, customer_id, status, carrier, tracking_number, lines, "
      "scheduled_ms, "
      "dispatched_ms, delivered_ms, cancelled_ms FROM shipment WHERE order_id = ?",
      order_id);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<Shipment>();
  Shipment s;
  s.shipment_id = row->text(0);
  s.order_id = row->text(1);
  s.customer_id = row->text(2);
  s.status = row->text(3);
  s.carrier = row->text(4);
  s.tracking_number = row->text(5);
  s.lines = parse_lines(row->text(6));
  s.scheduled_at = from_ms(row->int64(7));
  s.dispatched_at = optional_time(*row, 8);
  s.delivered_at = optional_time(*row, 9);
  s.cancelled_at = optional_time(*row, 10);
  return std::optional(std::move(s));
}

Result<void> insert_shipment(Transaction& tx, const Shipment& s) {
  const std::string lines = nlohmann::json(s.lines).dump();
  return changed(tx.execute(
      "INSERT INTO shipment (shipment_id, order_id, customer_id, status, carrier, lines, "
      "scheduled_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      s.shipment_id, s.order_id, s.customer_id, s.status, s.carrier, lines, to_ms(s.scheduled_at)));
}

Result<void> mark_dispatched(Transaction& tx, std::string_view order_id,
                             std::string_view tracking_number, Time at) {
  return changed(tx.execute(
      "UPDATE shipment SET status = ?, tracking_number = ?, dispatched_ms = ? WHERE order_id = ?",
      shipment_status::kDispatched, tracking_number, to_ms(at), order_id));
}

Result<void> mark_delivered(Transaction& tx, std::string_view order_id, Time at) {
  return changed(tx.execute("UPDATE shipment SET status = ?, delivered_ms = ? WHERE order_id = ?",
                            shipment_status::kDelivered, to_ms(at), order_id));
}

Result<void> mark_cancelled(Transaction& tx, std::string_view order_id, Time at) {
  return changed(tx.execute("UPDATE shipment SET status = ?, cancelled_ms = ? WHERE order_id = ?",
                            shipment_status::kCancelled, to_ms(at), order_id));
}

Result<void> mark_late_cancel(Transaction& tx, std::string_view order_id, Time at) {
  return changed(tx.execute(
      "UPDATE shipment SET late_cancel_ms = COALESCE(late_cancel_ms, ?) WHERE order_id = ?",
      to_ms(at), order_id));
}

}  // namespace shipping
