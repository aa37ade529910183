// The order's side of the choreographed saga: what each event from inventory, payments and
// shipping does to an order, and the cancellations (customer, timeout) that start compensation.
// Every method runs inside the caller's transaction and emits through the Service's outbox, so
// the order's new state and the events it causes commit together. Thread-safe (stateless apart
// from the Service it borrows, which must outlive it).
#pragma once

#include <string>
#include <string_view>

#include "orders/order_store.h"
#include "shop/events.h"
#include "velocity/result.h"
#include "velocity/service.h"

namespace orders {

class OrderSaga {
 public:
  explicit OrderSaga(velocity::Service& service) : service_(service) {}

  velocity::Result<void> on_stock_reserved(velocity::Transaction& tx,
                                           const shop::StockReserved& event);
  velocity::Result<void> on_stock_rejected(velocity::Transaction& tx,
                                           const shop::StockRejected& event);
  velocity::Result<void> on_payment_authorized(velocity::Transaction& tx,
                                               const shop::PaymentAuthorized& event);
  velocity::Result<void> on_payment_declined(velocity::Transaction& tx,
                                             const shop::PaymentDeclined& event);
  velocity::Result<void> on_shipment_scheduled(velocity::Transaction& tx,
                                               const shop::ShipmentScheduled& event);
  velocity::Result<void> on_shipment_dispatched(velocity::Transaction& tx,
                                                const shop::ShipmentDispatched& event);
  velocity::Result<void> on_shipment_delivered(velocity::Transaction& tx,
                                               const shop::ShipmentDelivered& event);
  // The order timer: an order still `placed` is cancelled.
  velocity::Result<void> on_timeout(velocity::Transaction& tx, std::string_view order_id);

  // Cancels `order` (which must not be terminal): status, history, OrderCancelled, timer.
  velocity::Result<void> cancel(velocity::Transaction& tx, Order& order,
                                std::string_view reason_code, std::string reason);

  // "Sorry, Classic Crew Tee (M) is out of stock." for the order's lines that were unavailable.
  static std::string out_of_stock_reason(const Order& order,
                                         const std::vector<shop::StockLine>& unavailable);

 private:
  // The order an event is about; an event about an order we never placed is poison.
  velocity::Result<Order> order_of(velocity::Transaction& tx, const std::string& order_id,
                                   std::string_view what);
  // Moves the order forward to `step`, or — when the step is behind it or the order has
  // finished — only records it in the history (once). Returns whether the status moved.
  velocity::Result<bool> reach(velocity::Transaction& tx, Order& order, OrderStatus step,
                               std::string detail);
  // Records an event that does not change the order's status (once per distinct detail).
  velocity::Result<void> record_only(velocity::Transaction& tx, Order& order, OrderStatus step,
                                     std::string detail);
  velocity::Result<void> move_to(velocity::Transaction& tx, Order& order, OrderStatus status,
                                 std::string detail);

  velocity::Service& service_;
};

}  // namespace orders
