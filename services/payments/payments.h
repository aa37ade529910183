// The payments service: authorises the simulated card of every reserved order (at most once
// per order), and refunds an authorised payment when its order is cancelled. Consumes
// StockReserved (shop.inventory) and OrderCancelled (shop.orders); publishes PaymentAuthorized,
// PaymentDeclined and PaymentRefunded on shop.payments. Only a card's last four digits are
// ever stored or published. install() registers schema, routes and handlers on a Service;
// every handler is thread-safe.
#pragma once

#include "velocity/result.h"
#include "velocity/service.h"

namespace payments {

[[nodiscard]] velocity::Result<void> install(velocity::Service& service);

}  // namespace payments
