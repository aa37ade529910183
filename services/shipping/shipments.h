// Shipping's own records: what it has learnt about each order (its lines and customer, or that
// it was cancelled before a shipment existed) and one shipment per confirmed order with its
// status and times. Free functions over the caller's Transaction.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shop/events.h"
#include "velocity/result.h"
#include "velocity/store.h"

namespace shipping {

namespace shipment_status {
inline constexpr std::string_view kScheduled = "scheduled";
inline constexpr std::string_view kDispatched = "dispatched";
inline constexpr std::string_view kDelivered = "delivered";
inline constexpr std::string_view kCancelled = "cancelled";
}  // namespace shipment_status

using Time = std::chrono::system_clock::time_point;

// An order as shipping knows it before (or without) a shipment.
struct KnownOrder {
  std::string order_id;
  std::string customer_id;
  std::optional<std::vector<shop::StockLine>> lines;  // from OrderPlaced, once it arrived
  bool cancelled = false;                             // OrderCancelled came before any shipment
};

struct Shipment {
  std::string shipment_id;
  std::string order_id;
  std::string customer_id;
  std::string status;
  std::string carrier;
  std::string tracking_number;  // empty until dispatched
  std::vector<shop::StockLine> lines;
  Time scheduled_at;
  std::optional<Time> dispatched_at;
  std::optional<Time> delivered_at;
  std::optional<Time> cancelled_at;
};

[[nodiscard]] velocity::Result<void> migrate_shipments(velocity::Database& db);

[[nodiscard]] velocity::Result<std::optional<KnownOrder>> find_order(velocity::Transaction& tx,
                                                                     std::string_view order_id);
// Keeps the order's lines; a second placement of the same order keeps the first lines.
[[nodiscard]] velocity::Result<void> remember_lines(velocity::Transaction& tx,
                                                    std::string_view order_id,
                                                    std::string_view customer_id,
                                                    const std::vector<shop::StockLine>& lines);
[[nodiscard]] velocity::Result<void> remember_cancel(velocity::Transaction& tx,
                                                     std::string_view order_id,
                                                     std::string_view customer_id);

[[nodiscard]] velocity::Result<std::optional<Shipment>> find_shipment(velocity::Transaction& tx,
                                                                      std::string_view order_id);
[[nodiscard]] velocity::Result<void> insert_shipment(velocity::Transaction& tx,
                                                     const Shipment& shipment);
[[nodiscard]] velocity::Result<void> mark_dispatched(velocity::Transaction& tx,
                                                     std::string_view order_id,
                                                     std::string_view tracking_number, Time at);
[[nodiscard]] velocity::Result<void> mark_delivered(velocity::Transaction& tx,
                                                    std::string_view order_id, Time at);
[[nodiscard]] velocity::Result<void> mark_cancelled(velocity::Transaction& tx,
                                                    std::string_view order_id, Time at);
// A cancel that arrived after dispatch: the shipment goes on, the request is kept for the record.
[[nodiscard]] velocity::Result<void> mark_late_cancel(velocity::Transaction& tx,
                                                      std::string_view order_id, Time at);

}  // namespace shipping
