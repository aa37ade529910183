// Reservations per order: the lines inventory holds for it and what became of them. One row
// per order id, whichever of the order's events arrived first, so that every later event of
// that order knows what has already happened. Free functions over a Transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shop/events.h"
#include "velocity/result.h"
#include "velocity/store.h"

namespace inventory {

namespace reservation_status {
inline constexpr std::string_view kHeld = "held";          // units moved from available to reserved
inline constexpr std::string_view kReleased = "released";  // held units given back
inline constexpr std::string_view kShipped = "shipped";    // units left the warehouse
inline constexpr std::string_view kRejected = "rejected";  // stock could not cover the order
// The order was cancelled (or declined) before its OrderPlaced arrived: never reserve it.
inline constexpr std::string_view kCancelled = "cancelled";
}  // namespace reservation_status

struct Reservation {
  std::string order_id;
  std::string customer_id;
  std::string status;
  std::vector<shop::StockLine> lines;
};

[[nodiscard]] velocity::Result<void> migrate_reservations(velocity::Database& db);

[[nodiscard]] velocity::Result<std::optional<Reservation>> find_reservation(
    velocity::Transaction& tx, std::string_view order_id);
// Inserts the reservation and its lines; kAlreadyExists (nothing written) if the order has one.
[[nodiscard]] velocity::Result<void> insert_reservation(velocity::Transaction& tx,
                                                        const Reservation& reservation);
[[nodiscard]] velocity::Result<void> set_reservation_status(velocity::Transaction& tx,
                                                            std::string_view order_id,
                                                            std::string_view status);

// A dispatch that stock could not cover (the reservation was gone and available fell short):
// kept for operators, since the physical and recorded stock now disagree.
[[nodiscard]] velocity::Result<void> record_dispatch_shortfall(velocity::Transaction& tx,
                                                               std::string_view order_id,
                                                               std::string_view sku,
                                                               int64_t missing);

}  // namespace inventory
