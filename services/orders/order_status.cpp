#include "orders/order_status.h"

#include <array>
#include <utility>

namespace orders {
namespace {

constexpr std::array<std::pair<OrderStatus, std::string_view>, 8> kNames{{
    {OrderStatus::kPlaced, "placed"},
    {OrderStatus::kReserved, "reserved"},
    {OrderStatus::kConfirmed, "confirmed"},
    {OrderStatus::kScheduled, "scheduled"},
    {OrderStatus::kDispatched, "dispatched"},
    {OrderStatus::kDelivered, "delivered"},
    {OrderStatus::kCompleted, "completed"},
    {OrderStatus::kCancelled, "cancelled"},
}};

}  // namespace

std::string_view to_string(OrderStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<OrderStatus> parse_status(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_terminal(OrderStatus status) {
  return status == OrderStatus::kCompleted || status == OrderStatus::kCancelled;
}

bool customer_may_cancel(OrderStatus status) {
  return status == OrderStatus::kPlaced || status == OrderStatus::kReserved ||
         status == OrderStatus::kConfirmed || status == OrderStatus::kScheduled;
}

bool advances(OrderStatus current, OrderStatus step) {
  if (is_terminal(current)) return false;
  if (step == OrderStatus::kCancelled) return true;
  return static_cast<int>(step) > static_cast<int>(current);
}

}  // namespace orders
