#include "inventory/inventory.h"

#include <memory>
#include <string>

#include "common/log.h"
#include "inventory/reservations.h"
#include "inventory/stock.h"
#include "shop/events.h"
#include "shop/seed.h"

namespace inventory {
namespace {

using velocity::ErrorCode;
using velocity::Event;
using velocity::json_error;
using velocity::json_response;
using velocity::Result;
using velocity::Service;
using velocity::Transaction;
using velocity::ops::HttpRequest;
using velocity::ops::HttpResponse;
namespace status = reservation_status;

// Far above any real order or delivery, low enough that sums of quantities never overflow.
constexpr int64_t kMaxQuantity = 1'000'000;
constexpr size_t kMaxSkuLength = 100;

// Why a set of lines breaks the contract (a positive quantity of a named SKU), or nothing.
std::optional<std::string> invalid_lines(const std::vector<shop::StockLine>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    if (line.sku.empty()) return "lines[" + std::to_string(i) + "].sku is empty";
    if (line.quantity <= 0 || line.quantity > kMaxQuantity) {
      return "lines[" + std::to_string(i) + "].quantity " + std::to_string(line.quantity) +
             " is not 1-" + std::to_string(kMaxQuantity);
    }
  }
  return std::nullopt;
}

std::string describe(const std::vector<Shortfall>& missing) {
  std::string text = "Not enough stock: ";
  for (size_t i = 0; i < missing.size(); ++i) {
    if (i) text += "; ";
    text += missing[i].sku + " (" + std::to_string(missing[i].asked) + " asked, " +
            std::to_string(missing[i].available) + " available)";
  }
  return text;
}

class Inventory {
 public:
  explicit Inventory(Service& service) : service_(service) {}

  // First start (an empty ledger): every seed SKU gets its initial units, all in one transaction.
  Result<void> stock_seed_catalogue() {
    auto tx = service_.db().begin();
    if (!tx) return std::unexpected(tx.error());
    auto adjustments = count_adjustments(*tx);
    if (!adjustments) return std::unexpected(adjustments.error());
    if (*adjustments > 0) return {};
    size_t skus = 0;
    for (const auto& product : shop::seed_products()) {
      for (const auto& sku : product.skus) {
        auto row = adjust_stock(*tx, sku.sku, shop::kSeedStockPerSku, kReasonInitial);
        if (!row) return std::unexpected(row.error());
        shop::StockAdjusted adjusted{sku.sku,
                                     shop::kSeedStockPerSku,
                                     std::string(kReasonInitial),
                                     {{sku.sku, row->available}}};
        if (auto sent = service_.emit(*tx, shop::topics::kInventory, sku.sku, adjusted); !sent) {
          return std::unexpected(sent.error());
        }
        ++skus;
      }
    }
    if (auto done = service_.commit(*tx); !done) return done;
    velocity::log::info("inventory: stocked {} seed SKUs with {} units each", skus,
                        shop::kSeedStockPerSku);
    return {};
  }

  // OrderPlaced: reserve every line or none. The handler runs in the inbox's transaction, which
  // holds the database's write lock, so two orders racing for the last unit are serialised here
  // and exactly one of them sees it available.
  Result<void> reserve(Transaction& tx, const shop::OrderPlaced& order) {
    if (order.order_id.empty()) return velocity::poison("OrderPlaced without an order_id");
    if (order.lines.empty())
      return velocity::poison("OrderPlaced " + order.order_id + " has no lines");
    std::vector<shop::StockLine> asked;
    for (const auto& line : order.lines) asked.push_back(shop::StockLine{line.sku, line.quantity});
    if (auto bad = invalid_lines(asked))
      return velocity::poison("OrderPlaced " + order.order_id + ": " + *bad);

    auto existing = find_reservation(tx, order.order_id);
    if (!existing) return std::unexpected(existing.error());
    if (*existing) {
      // Placed again (a re-sent event), or cancelled before its placement reached us.
      if ((*existing)->status == status::kCancelled) {
        velocity::log::info(
            "inventory: order {} was cancelled before it was placed; nothing reserved",
            order.order_id);
      }
      return {};
    }

    const auto lines = merge_lines(asked);
    auto missing = shortfalls(tx, lines);
    if (!missing) return std::unexpected(missing.error());
    if (!missing->empty()) {
      if (auto r = insert_reservation(
              tx, {order.order_id, order.customer_id, std::string(status::kRejected), lines});
          !r) {
        return r;
      }
      shop::StockRejected rejected{order.order_id, order.customer_id, {}, describe(*missing)};
      for (const auto& m : *missing)
        rejected.unavailable.push_back(shop::StockLine{m.sku, m.asked});
      return emitted(service_.emit(tx, shop::topics::kInventory, order.order_id, rejected));
    }

    if (auto held = hold(tx, lines); !held) return held;
    if (auto r = insert_reservation(
            tx, {order.order_id, order.customer_id, std::string(status::kHeld), lines});
        !r) {
      return r;
    }
    auto after = levels(tx, lines);
    if (!after) return std::unexpected(after.error());
    shop::StockReserved reserved{order.order_id,    order.customer_id, lines,
                                 order.total_cents, order.currency,    order.card,
                                 std::move(*after)};
    return emitted(service_.emit(tx, shop::topics::kInventory, order.order_id, reserved));
  }

  // OrderCancelled or PaymentDeclined: give a held reservation back, once. Anything else is
  // already settled; an order not seen yet is remembered so that its placement reserves nothing.
  Result<void> release_order(Transaction& tx, const std::string& order_id,
                             const std::string& customer_id, const std::string& reason) {
    if (order_id.empty()) return velocity::poison("a release without an order_id");
    auto found = find_reservation(tx, order_id);
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      return insert_reservation(tx, {order_id, customer_id, std::string(status::kCancelled), {}});
    }
    const auto& reservation = **found;
    if (reservation.status != status::kHeld) return {};
    if (auto given = release(tx, reservation.lines); !given) return given;
    if (auto set = set_reservation_status(tx, order_id, status::kReleased); !set) return set;
    auto after = levels(tx, reservation.lines);
    if (!after) return std::unexpected(after.error());
    shop::StockReleased released{order_id, reservation.customer_id, reservation.lines, reason,
                                 std::move(*after)};
    return emitted(service_.emit(tx, shop::topics::kInventory, order_id, released));
  }

  // ShipmentDispatched: the order's units left the warehouse.
  Result<void> ship(Transaction& tx, const shop::ShipmentDispatched& dispatch) {
    if (dispatch.order_id.empty())
      return velocity::poison("ShipmentDispatched without an order_id");
    if (auto bad = invalid_lines(dispatch.lines)) {
      return velocity::poison("ShipmentDispatched " + dispatch.order_id + ": " + *bad);
    }
    auto found = find_reservation(tx, dispatch.order_id);
    if (!found) return std::unexpected(found.error());
    // Shipping only dispatches confirmed orders, which were reserved here first; until that
    // reservation arrives (its event may be waiting on a retry topic) try again later.
    if (!*found)
      return velocity::fail(ErrorCode::kNotFound,
                            "no reservation of order " + dispatch.order_id + " yet");
    const auto& reservation = **found;
    if (reservation.status == status::kShipped) return {};
    if (reservation.status == status::kHeld) {
      if (auto moved = ship_reserved(tx, reservation.lines); !moved) return moved;
      return set_reservation_status(tx, dispatch.order_id, status::kShipped);
    }

    // A cancel raced the dispatch and released the units, but the parcel has left anyway: take
    // its units from available so that stock stays conserved. Never below zero: what available
    // cannot cover is recorded for an operator to count.
    velocity::log::warn(
        "inventory: order {} was dispatched after its reservation was {}; shipping from available",
        dispatch.order_id, reservation.status);
    const auto lines = dispatch.lines.empty() ? reservation.lines : merge_lines(dispatch.lines);
    for (const auto& line : lines) {
      auto taken = ship_available(tx, line.sku, line.quantity);
      if (!taken) return std::unexpected(taken.error());
      if (*taken < line.quantity) {
        velocity::log::error(
            "inventory: order {} shipped {} of {} without stock to cover them ({} taken)",
            dispatch.order_id, line.quantity - *taken, line.sku, *taken);
        if (auto r =
                record_dispatch_shortfall(tx, dispatch.order_id, line.sku, line.quantity - *taken);
            !r)
          return r;
      }
    }
    return set_reservation_status(tx, dispatch.order_id, status::kShipped);
  }

  HttpResponse list(const HttpRequest&) {
    auto tx = service_.db().begin();
    if (!tx) return internal(tx.error());
    auto rows = list_stock(*tx);
    if (!rows) return internal(rows.error());
    return json_response(200, {{"stock", *rows}});
  }

  HttpResponse one(const HttpRequest& request) {
    const auto sku = request.param("sku");
    auto tx = service_.db().begin();
    if (!tx) return internal(tx.error());
    auto row = find_stock(*tx, sku);
    if (!row) return internal(row.error());
    if (!*row) return json_error(404, "no stock is kept for this sku", "sku");
    return json_response(200, **row);
  }

  // POST /api/inventory/admin/adjust {sku, delta, reason}
  HttpResponse adjust(const HttpRequest& request) {
    if (!service_.from_edge(request)) return json_error(401, "this admin route needs the edge key");
    auto body = velocity::json_body(request);
    if (!body) return body.error();
    const auto& b = *body;
    if (!b.contains("sku") || !b["sku"].is_string() || b["sku"].get<std::string>().empty() ||
        b["sku"].get<std::string>().size() > kMaxSkuLength) {
      return json_error(400, "sku must be a string of 1-100 characters", "sku");
    }
    if (!b.contains("delta") || !b["delta"].is_number_integer()) {
      return json_error(400, "delta must be a whole number of units", "delta");
    }
    const auto sku = b["sku"].get<std::string>();
    const auto delta = b["delta"].get<int64_t>();
    if (delta == 0 || delta > kMaxQuantity || delta < -kMaxQuantity) {
      return json_error(400, "delta must be a non-zero number of units up to 1000000 either way",
                        "delta");
    }
    if (!b.contains("reason") || !b["reason"].is_string() ||
        (b["reason"] != kReasonRestock && b["reason"] != kReasonWriteOff)) {
      return json_error(400, "reason must be \"restock\" or \"write-off\"", "reason");
    }
    const auto reason = b["reason"].get<std::string>();
    if (reason == kReasonRestock && delta < 0)
      return json_error(400, "a restock adds units: delta > 0", "delta");
    if (reason == kReasonWriteOff && delta > 0)
      return json_error(400, "a write-off removes units: delta < 0", "delta");

    auto tx = service_.db().begin();
    if (!tx) return internal(tx.error());
    auto row = adjust_stock(*tx, sku, delta, reason);
    if (!row && row.error().code == ErrorCode::kOutOfRange) {
      return json_error(409, "not enough available units: stock would go below zero", "delta");
    }
    if (!row) return internal(row.error());
    shop::StockAdjusted adjusted{sku, delta, reason, {{sku, row->available}}};
    if (auto sent = service_.emit(*tx, shop::topics::kInventory, sku, adjusted); !sent)
      return internal(sent.error());
    if (auto done = service_.commit(*tx); !done) return internal(done.error());
    velocity::log::info("inventory: {} {} by {} -> {} available", reason, sku, delta,
                        row->available);
    return json_response(200, *row);
  }

 private:
  static Result<void> emitted(const Result<Event>& event) {
    if (!event) return std::unexpected(event.error());
    return {};
  }
  static HttpResponse internal(const velocity::Error& error) {
    velocity::log::error("inventory: {}", error.message());
    return json_error(500, "inventory could not complete the request");
  }

  Service& service_;
};

}  // namespace

Result<void> install(Service& service) {
  if (auto made = migrate_stock(service.db()); !made) return made;
  if (auto made = migrate_reservations(service.db()); !made) return made;
  auto inventory = std::make_shared<Inventory>(service);
  if (auto seeded = inventory->stock_seed_catalogue(); !seeded) return seeded;

  const std::string orders(shop::topics::kOrders);
  service.on<shop::OrderPlaced>(
      orders, [inventory](Transaction& tx, const shop::OrderPlaced& order, const Event&) {
        return inventory->reserve(tx, order);
      });
  service.on<shop::OrderCancelled>(
      orders, [inventory](Transaction& tx, const shop::OrderCancelled& cancel, const Event&) {
        return inventory->release_order(
            tx, cancel.order_id, cancel.customer_id,
            cancel.reason_code.empty() ? "cancelled" : cancel.reason_code);
      });
  service.on<shop::PaymentDeclined>(
      std::string(shop::topics::kPayments),
      [inventory](Transaction& tx, const shop::PaymentDeclined& declined, const Event&) {
        return inventory->release_order(tx, declined.order_id, declined.customer_id,
                                        std::string(shop::cancel_reason::kPaymentDeclined));
      });
  service.on<shop::ShipmentDispatched>(
      std::string(shop::topics::kShipping),
      [inventory](Transaction& tx, const shop::ShipmentDispatched& dispatch, const Event&) {
        return inventory->ship(tx, dispatch);
      });

  service.route("GET", "/api/inventory/stock",
                [inventory](const HttpRequest& r) { return inventory->list(r); });
  service.route("GET", "/api/inventory/stock/{sku}",
                [inventory](const HttpRequest& r) { return inventory->one(r); });
  service.route("POST", "/api/inventory/admin/adjust",
                [inventory](const HttpRequest& r) { return inventory->adjust(r); });
  return {};
}

}  // namespace inventory
