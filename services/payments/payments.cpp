#include "payments/payments.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "payments/card.h"
#include "shop/events.h"

namespace payments {
namespace {

using velocity::Event;
using velocity::Result;
using velocity::Transaction;
using velocity::ops::HttpRequest;
using velocity::ops::HttpResponse;

// The primary key on order_id is the rule "at most one authorisation per order": a redelivered
// or duplicated StockReserved finds the row and does nothing. A cancel that arrives before the
// reservation is remembered in cancelled_order, so that order is never authorised.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS payment (
  order_id     TEXT    PRIMARY KEY,
  payment_id   TEXT    NOT NULL UNIQUE,
  customer_id  TEXT    NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('authorized', 'declined', 'refunded')),
  amount_cents INTEGER NOT NULL,
  currency     TEXT    NOT NULL,
  card_last4   TEXT    NOT NULL,
  reason       TEXT    NOT NULL,
  created_ms   INTEGER NOT NULL,
  updated_ms   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cancelled_order (
  order_id     TEXT    PRIMARY KEY,
  customer_id  TEXT    NOT NULL,
  cancelled_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_payment_id() {
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return "pay_" + std::string(hex);
}

Result<bool> exists(Transaction& tx, std::string_view sql, std::string_view order_id) {
  auto row = tx.query(sql, order_id);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  return *found;
}

class Payments {
 public:
  explicit Payments(velocity::Service& service) : service_(service) {}

  Result<void> on_stock_reserved(Transaction& tx, const shop::StockReserved& event) {
    if (event.order_id.empty()) return velocity::poison("StockReserved without an order_id");
    if (event.total_cents < 0)
      return velocity::poison("StockReserved for " + event.order_id + " with a negative total");
    auto cancelled = exists(tx, "SELECT 1 FROM cancelled_order WHERE order_id = ?", event.order_id);
    if (!cancelled) return std::unexpected(cancelled.error());
    if (*cancelled) return {};  // the order was cancelled first: it is never charged

    const auto decision = authorize_card(event.card.number);
    const auto payment_id = new_payment_id();
    const auto now = now_ms();
    auto inserted = tx.execute(
        "INSERT INTO payment (order_id, payment_id, customer_id, status, amount_cents, currency, "
        "card_last4, reason, "
        "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO "
        "NOTHING",
        event.order_id, payment_id, event.customer_id,
        decision.authorized ? "authorized" : "declined", event.total_cents, event.currency,
        decision.last4, decision.reason, now, now);
    if (!inserted) return std::unexpected(inserted.error());
    if (*inserted == 0) return {};  // already decided for this order

    Result<Event> emitted;
    if (decision.authorized) {
      emitted =
          service_.emit(tx, shop::topics::kPayments, event.order_id,
                        shop::PaymentAuthorized{event.order_id, event.customer_id, payment_id,
                                                event.total_cents, event.currency, decision.last4});
    } else {
      emitted = service_.emit(tx, shop::topics::kPayments, event.order_id,
                              shop::PaymentDeclined{event.order_id, event.customer_id,
                                                    decision.reason, decision.last4});
    }
    if (!emitted) return std::unexpected(emitted.error());
    return {};
  }

  Result<void> on_order_cancelled(Transaction& tx, const shop::OrderCancelled& event) {
    if (event.order_id.empty()) return velocity::poison("OrderCancelled without an order_id");
    const auto now = now_ms();
    auto refunded = tx.execute(
        "UPDATE payment SET status = 'refunded', reason = ?, updated_ms = ? WHERE order_id = ? AND "
        "status = 'authorized'",
        event.reason, now, event.order_id);
    if (!refunded) return std::unexpected(refunded.error());
    if (*refunded == 1) {
      auto row = tx.query(
          "SELECT payment_id, customer_id, amount_cents, currency FROM payment WHERE order_id = ?",
          event.order_id);
      if (!row) return std::unexpected(row.error());
      auto found = row->next();
      if (!found) return std::unexpected(found.error());
      shop::PaymentRefunded refund{event.order_id, row->text(1), row->text(0), row->int64(2),
                                   row->text(3)};
      auto emitted = service_.emit(tx, shop::topics::kPayments, event.order_id, refund);
      if (!emitted) return std::unexpected(emitted.error());
      return {};
    }
    auto known = exists(tx, "SELECT 1 FROM payment WHERE order_id = ?", event.order_id);
    if (!known) return std::unexpected(known.error());
    if (*known) return {};  // declined or already refunded: nothing to give back
    auto remembered = tx.execute(
        "INSERT INTO cancelled_order (order_id, customer_id, cancelled_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (order_id) DO NOTHING",
        event.order_id, event.customer_id, now);
    if (!remembered) return std::unexpected(remembered.error());
    return {};
  }

  HttpResponse get(const HttpRequest& request) {
    auto customer = service_.customer(request);
    if (!customer) return customer.error();
    auto tx = service_.db().begin();
    if (!tx) return internal_error(tx.error());
    auto row = tx->query(
        "SELECT order_id, payment_id, status, amount_cents, currency, card_last4, reason FROM "
        "payment "
        "WHERE order_id = ? AND customer_id = ?",
        request.param("order_id"), *customer);
    if (!row) return internal_error(row.error());
    auto found = row->next();
    if (!found) return internal_error(found.error());
    // Another customer's payment reads as missing, like an order that does not exist.
    if (!*found) return velocity::json_error(404, "no payment for this order", "order_id");
    return velocity::json_response(200, {{"order_id", row->text(0)},
                                         {"payment_id", row->text(1)},
                                         {"status", row->text(2)},
                                         {"amount_cents", row->int64(3)},
                                         {"currency", row->text(4)},
                                         {"card_last4", row->text(5)},
                                         {"reason", row->text(6)}});
  }

 private:
  static HttpResponse internal_error(const velocity::Error& error) {
    spdlog::error("payments: {}", error.message());
    return velocity::json_error(500, "something went wrong on our side; please try again");
  }

  velocity::Service& service_;
};

}  // namespace

Result<void> install(velocity::Service& service) {
  if (sodium_init() < 0)
    return velocity::fail(velocity::ErrorCode::kInternal, "libsodium failed to initialise");
  if (auto migrated = service.migrate(kSchema); !migrated) return migrated;
  auto payments = std::make_shared<Payments>(service);
  service.route("GET", "/api/payments/orders/{order_id}",
                [payments](const HttpRequest& r) { return payments->get(r); });
  service.on<shop::StockReserved>(
      std::string(shop::topics::kInventory),
      [payments](Transaction& tx, const shop::StockReserved& e, const Event&) {
        return payments->on_stock_reserved(tx, e);
      });
  service.on<shop::OrderCancelled>(
      std::string(shop::topics::kOrders),
      [payments](Transaction& tx, const shop::OrderCancelled& e, const Event&) {
        return payments->on_order_cancelled(tx, e);
      });
  return {};
}

}  // namespace payments
