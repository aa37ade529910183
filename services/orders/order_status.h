// The order's status machine (docs/api.md): placed → reserved → confirmed → scheduled →
// dispatched → delivered → completed, or cancelled. Pure functions over values; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace orders {

// Declared in the order the happy path reaches them; cancelled stands outside that order.
enum class OrderStatus {
  kPlaced,
  kReserved,
  kConfirmed,
  kScheduled,
  kDispatched,
  kDelivered,
  kCompleted,
  kCancelled
};

std::string_view to_string(OrderStatus status);
std::optional<OrderStatus> parse_status(std::string_view text);

// Completed and cancelled orders never change status again; later events only add history.
bool is_terminal(OrderStatus status);

// A customer may cancel until the parcel has left the warehouse.
bool customer_may_cancel(OrderStatus status);

// Whether reaching `step` moves an order that is at `current` forward. Events of the saga come
// from several topics and may overtake each other (a payment authorised before orders has seen
// the reservation), so a step behind the current status is history only, never a step back.
bool advances(OrderStatus current, OrderStatus step);

}  // namespace orders
