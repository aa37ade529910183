#include "orders/order_saga.h"

#include <algorithm>

#include "orders/orders.h"
#include "velocity/router.h"

namespace orders {

using velocity::Result;
using velocity::Transaction;

Result<Order> OrderSaga::order_of(Transaction& tx, const std::string& order_id,
                                  std::string_view what) {
  if (order_id.empty()) return velocity::poison(std::string(what) + " without an order_id");
  auto order = load_order(tx, order_id);
  if (!order) return std::unexpected(order.error());
  // Orders writes an order before it emits OrderPlaced, so no other service can know of an order
  // that is missing here: retrying would never help.
  if (!*order) return velocity::poison(std::string(what) + " for unknown order " + order_id);
  return std::move(**order);
}

Result<void> OrderSaga::move_to(Transaction& tx, Order& order, OrderStatus status,
                                std::string detail) {
  const bool leaves_placed = order.status == OrderStatus::kPlaced;
  order.status = status;
  order.updated_ms = now_ms();
  if (auto added = append_history(tx, order, std::string(to_string(status)), std::move(detail),
                                  order.updated_ms);
      !added) {
    return added;
  }
  if (auto stored = update_order(tx, order); !stored) return stored;
  if (leaves_placed) {
    // The order moved on: the timeout has nothing left to guard.
    if (auto cancelled = service_.sagas().cancel(tx, order.order_id, kOrderTimeoutTimer);
        !cancelled) {
      return std::unexpected(cancelled.error());
    }
  }
  return {};
}

Result<void> OrderSaga::record_only(Transaction& tx, Order& order, OrderStatus step,
                                    std::string detail) {
  const auto status = std::string(to_string(step));
  // The same fact reported twice (a producer's retry under a new event id) is recorded once.
  const bool known =
      std::any_of(order.history.begin(), order.history.end(), [&](const HistoryEntry& entry) {
        return entry.status == status && entry.detail.starts_with(detail);
      });
  if (known) return {};
  if (is_terminal(order.status)) {
    detail += " (after the order was " + std::string(to_string(order.status)) + ")";
  } else if (step == OrderStatus::kCancelled) {
    detail += " (ignored: the order is already " + std::string(to_string(order.status)) + ")";
  }
  order.updated_ms = now_ms();
  if (auto added = append_history(tx, order, status, std::move(detail), order.updated_ms); !added)
    return added;
  return update_order(tx, order);
}

Result<bool> OrderSaga::reach(Transaction& tx, Order& order, OrderStatus step, std::string detail) {
  if (!advances(order.status, step)) {
    if (auto recorded = record_only(tx, order, step, std::move(detail)); !recorded) {
      return std::unexpected(recorded.error());
    }
    return false;
  }
  if (auto moved = move_to(tx, order, step, std::move(detail)); !moved)
    return std::unexpected(moved.error());
  return true;
}

Result<void> OrderSaga::cancel(Transaction& tx, Order& order, std::string_view reason_code,
                               std::string reason) {
  order.cancel_reason_code = std::string(reason_code);
  order.cancel_reason = reason;
  if (auto moved = move_to(tx, order, OrderStatus::kCancelled, reason); !moved) return moved;
  shop::OrderCancelled event{order.order_id, order.customer_id, std::string(reason_code),
                             std::move(reason)};
  auto emitted = service_.emit(tx, shop::topics::kOrders, order.order_id, event);
  if (!emitted) return std::unexpected(emitted.error());
  return {};
}

std::string OrderSaga::out_of_stock_reason(const Order& order,
                                           const std::vector<shop::StockLine>& unavailable) {
  std::vector<std::string> items;
  for (const auto& missing : unavailable) {
    const auto line = std::find_if(order.lines.begin(), order.lines.end(),
                                   [&](const shop::OrderLine& l) { return l.sku == missing.sku; });
    if (line == order.lines.end()) {
      items.push_back(missing.sku);
    } else {
      items.push_back(line->name + (line->size.empty() ? "" : " (" + line->size + ")"));
    }
  }
  if (items.empty()) return "Sorry, an item in your order is out of stock.";
  std::string list = items.front();
  for (size_t i = 1; i < items.size(); ++i)
    list += (i + 1 == items.size() ? " and " : ", ") + items[i];
  return "Sorry, " + list + (items.size() == 1 ? " is" : " are") + " out of stock.";
}

Result<void> OrderSaga::on_stock_reserved(Transaction& tx, const shop::StockReserved& event) {
  auto order = order_of(tx, event.order_id, "StockReserved");
  if (!order) return std::unexpected(order.error());
  auto reached = reach(tx, *order, OrderStatus::kReserved, "Your items are reserved.");
  if (!reached) return std::unexpected(reached.error());
  return {};
}

Result<void> OrderSaga::on_stock_rejected(Transaction& tx, const shop::StockRejected& event) {
  auto order = order_of(tx, event.order_id, "StockRejected");
  if (!order) return std::unexpected(order.error());
  auto reason = out_of_stock_reason(*order, event.unavailable);
  // Only an order still waiting for its reservation can be out of stock.
  if (order->status != OrderStatus::kPlaced)
    return record_only(tx, *order, OrderStatus::kCancelled, reason);
  return cancel(tx, *order, shop::cancel_reason::kOutOfStock, std::move(reason));
}

Result<void> OrderSaga::on_payment_authorized(Transaction& tx,
                                              const shop::PaymentAuthorized& event) {
  auto order = order_of(tx, event.order_id, "PaymentAuthorized");
  if (!order) return std::unexpected(order.error());
  std::string detail = "Payment authorised";
  if (!event.card_last4.empty()) detail += " on the card ending " + event.card_last4;
  auto moved = reach(tx, *order, OrderStatus::kConfirmed, detail + ".");
  if (!moved) return std::unexpected(moved.error());
  if (!*moved) return {};
  shop::OrderConfirmed confirmed{order->order_id, order->customer_id, order->total_cents,
                                 order->currency};
  auto emitted = service_.emit(tx, shop::topics::kOrders, order->order_id, confirmed);
  if (!emitted) return std::unexpected(emitted.error());
  return {};
}

Result<void> OrderSaga::on_payment_declined(Transaction& tx, const shop::PaymentDeclined& event) {
  auto order = order_of(tx, event.order_id, "PaymentDeclined");
  if (!order) return std::unexpected(order.error());
  std::string reason = event.reason.empty() ? "Your payment was declined." : event.reason;
  if (order->status != OrderStatus::kPlaced && order->status != OrderStatus::kReserved) {
    return record_only(tx, *order, OrderStatus::kCancelled, std::move(reason));
  }
  return cancel(tx, *order, shop::cancel_reason::kPaymentDeclined, std::move(reason));
}

Result<void> OrderSaga::on_shipment_scheduled(Transaction& tx,
                                              const shop::ShipmentScheduled& event) {
  auto order = order_of(tx, event.order_id, "ShipmentScheduled");
  if (!order) return std::unexpected(order.error());
  std::string detail = "Your parcel is scheduled for shipping";
  if (!event.carrier.empty()) detail += " with " + event.carrier;
  auto reached = reach(tx, *order, OrderStatus::kScheduled, detail + ".");
  if (!reached) return std::unexpected(reached.error());
  return {};
}

Result<void> OrderSaga::on_shipment_dispatched(Transaction& tx,
                                               const shop::ShipmentDispatched& event) {
  auto order = order_of(tx, event.order_id, "ShipmentDispatched");
  if (!order) return std::unexpected(order.error());
  std::string detail = "Your parcel is on its way";
  if (!event.tracking_number.empty()) detail += ", tracking number " + event.tracking_number;
  auto reached = reach(tx, *order, OrderStatus::kDispatched, detail + ".");
  if (!reached) return std::unexpected(reached.error());
  return {};
}

Result<void> OrderSaga::on_shipment_delivered(Transaction& tx,
                                              const shop::ShipmentDelivered& event) {
  auto order = order_of(tx, event.order_id, "ShipmentDelivered");
  if (!order) return std::unexpected(order.error());
  auto delivered = reach(tx, *order, OrderStatus::kDelivered, "Your parcel was delivered.");
  if (!delivered) return std::unexpected(delivered.error());
  if (!*delivered) return {};
  // Delivery ends the saga: the order completes in the same transaction.
  if (auto completed = move_to(tx, *order, OrderStatus::kCompleted, "Your order is complete.");
      !completed) {
    return completed;
  }
  auto emitted = service_.emit(tx, shop::topics::kOrders, order->order_id,
                               shop::OrderCompleted{order->order_id, order->customer_id});
  if (!emitted) return std::unexpected(emitted.error());
  return {};
}

Result<void> OrderSaga::on_timeout(Transaction& tx, std::string_view order_id) {
  auto order = load_order(tx, order_id);
  if (!order) return std::unexpected(order.error());
  if (!*order || (*order)->status != OrderStatus::kPlaced) return {};
  return cancel(tx, **order, kTimeoutReasonCode, std::string(kTimeoutReason));
}

}  // namespace orders
