#include "shipping/shipping.h"

#include <sodium.h>

#include <memory>
#include <string>

#include "common/log.h"
#include "shipping/shipments.h"
#include "shop/events.h"

namespace shipping {
namespace {

using velocity::Event;
using velocity::json_error;
using velocity::json_response;
using velocity::Result;
using velocity::SagaTimer;
using velocity::Service;
using velocity::Transaction;
using velocity::ops::HttpRequest;
using velocity::ops::HttpResponse;
namespace status = shipment_status;

// Timer names; each timer's saga id is the order id.
constexpr std::string_view kDispatchTimer = "dispatch";
constexpr std::string_view kDeliverTimer = "deliver";

std::string shipment_id() {
  unsigned char raw[8];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string("shp_") + hex;
}

// "VX" and twelve digits, as a parcel label would show it.
std::string tracking_number() {
  std::string number = "VX";
  for (int i = 0; i < 12; ++i) number += static_cast<char>('0' + randombytes_uniform(10));
  return number;
}

nlohmann::json time_or_null(const std::optional<Time>& t) {
  return t ? nlohmann::json(velocity::format_rfc3339(*t)) : nlohmann::json(nullptr);
}

Result<void> emitted(const Result<Event>& event) {
  if (!event) return std::unexpected(event.error());
  return {};
}

class Carrier {
 public:
  Carrier(Service& service, ShippingOptions options)
      : service_(service), options_(std::move(options)) {}

  // OrderPlaced: keep the lines and the customer for the shipment a confirmation will create.
  Result<void> remember(Transaction& tx, const shop::OrderPlaced& order) {
    if (order.order_id.empty()) return velocity::poison("OrderPlaced without an order_id");
    std::vector<shop::StockLine> lines;
    for (const auto& line : order.lines) {
      if (line.sku.empty() || line.quantity <= 0) {
        return velocity::poison("OrderPlaced " + order.order_id +
                                ": a line without a SKU or a positive quantity");
      }
      lines.push_back(shop::StockLine{line.sku, line.quantity});
    }
    return remember_lines(tx, order.order_id, order.customer_id, lines);
  }

  // OrderConfirmed: schedule the shipment and its dispatch, in the same transaction.
  Result<void> schedule(Transaction& tx, const shop::OrderConfirmed& confirmed) {
    if (confirmed.order_id.empty()) return velocity::poison("OrderConfirmed without an order_id");
    auto existing = find_shipment(tx, confirmed.order_id);
    if (!existing) return std::unexpected(existing.error());
    if (*existing) return {};  // confirmed again: one shipment per order
    auto known = find_order(tx, confirmed.order_id);
    if (!known) return std::unexpected(known.error());
    if (*known && (*known)->cancelled) {
      velocity::log::info(
          "shipping: order {} was cancelled before it was confirmed; nothing to ship",
          confirmed.order_id);
      return {};
    }
    // The placement carries the lines; it comes first on the same topic and key, but may be
    // waiting on a retry topic: try again until it is here.
    if (!*known || !(*known)->lines) {
      return velocity::fail(velocity::ErrorCode::kNotFound,
                            "the lines of order " + confirmed.order_id + " are not known yet");
    }

    Shipment shipment;
    shipment.shipment_id = shipment_id();
    shipment.order_id = confirmed.order_id;
    shipment.customer_id =
        confirmed.customer_id.empty() ? (*known)->customer_id : confirmed.customer_id;
    shipment.status = status::kScheduled;
    shipment.carrier = options_.carrier;
    shipment.lines = *(*known)->lines;
    shipment.scheduled_at = std::chrono::system_clock::now();
    if (auto r = insert_shipment(tx, shipment); !r) return r;
    auto timer = service_.sagas().schedule(
        tx, shipment.order_id, shipment.scheduled_at + options_.dispatch_after, kDispatchTimer);
    if (!timer) return std::unexpected(timer.error());
    shop::ShipmentScheduled scheduled{shipment.order_id, shipment.customer_id, shipment.shipment_id,
                                      shipment.carrier};
    return emitted(service_.emit(tx, shop::topics::kShipping, shipment.order_id, scheduled));
  }

  // OrderCancelled: before dispatch the shipment is called off; after, it is too late.
  Result<void> cancel(Transaction& tx, const shop::OrderCancelled& cancelled) {
    if (cancelled.order_id.empty()) return velocity::poison("OrderCancelled without an order_id");
    auto found = find_shipment(tx, cancelled.order_id);
    if (!found) return std::unexpected(found.error());
    if (!*found) return remember_cancel(tx, cancelled.order_id, cancelled.customer_id);
    const auto& shipment = **found;
    const auto now = std::chrono::system_clock::now();
    if (shipment.status == status::kDispatched || shipment.status == status::kDelivered) {
      velocity::log::warn(
          "shipping: order {} was cancelled after shipment {} was dispatched; it goes on",
          shipment.order_id, shipment.shipment_id);
      return mark_late_cancel(tx, shipment.order_id, now);
    }
    if (shipment.status != status::kScheduled) return {};
    auto stopped = service_.sagas().cancel(tx, shipment.order_id, kDispatchTimer);
    if (!stopped) return std::unexpected(stopped.error());
    if (auto r = mark_cancelled(tx, shipment.order_id, now); !r) return r;
    shop::ShipmentCancelled event{shipment.order_id, shipment.customer_id, shipment.shipment_id};
    return emitted(service_.emit(tx, shop::topics::kShipping, shipment.order_id, event));
  }

  // A due timer: the carrier picks the parcel up, or hands it over.
  Result<void> on_timer(Transaction& tx, const SagaTimer& timer) {
    auto found = find_shipment(tx, timer.saga_id);
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      velocity::log::error("shipping: timer {} for order {} without a shipment; dropped",
                           timer.name, timer.saga_id);
      return {};
    }
    const auto& shipment = **found;
    const auto now = std::chrono::system_clock::now();
    if (timer.name == kDispatchTimer) {
      if (shipment.status != status::kScheduled) return {};
      const auto tracking = tracking_number();
      if (auto r = mark_dispatched(tx, shipment.order_id, tracking, now); !r) return r;
      auto next = service_.sagas().schedule(tx, shipment.order_id, now + options_.deliver_after,
                                            kDeliverTimer);
      if (!next) return std::unexpected(next.error());
      shop::ShipmentDispatched event{shipment.order_id, shipment.customer_id, shipment.shipment_id,
                                     tracking, shipment.lines};
      return emitted(service_.emit(tx, shop::topics::kShipping, shipment.order_id, event));
    }
    if (timer.name == kDeliverTimer) {
      if (shipment.status != status::kDispatched) return {};
      if (auto r = mark_delivered(tx, shipment.order_id, now); !r) return r;
      shop::ShipmentDelivered event{shipment.order_id, shipment.customer_id, shipment.shipment_id};
      return emitted(service_.emit(tx, shop::topics::kShipping, shipment.order_id, event));
    }
    velocity::log::error("shipping: unknown timer {} for order {}; dropped", timer.name,
                         timer.saga_id);
    return {};
  }

  // GET /api/shipping/orders/{order_id}: the owner's shipment; anyone else's is a 404.
  HttpResponse track(const HttpRequest& request) {
    auto customer = service_.customer(request);
    if (!customer) return customer.error();
    auto tx = service_.db().begin();
    if (!tx) return internal(tx.error());
    auto found = find_shipment(*tx, request.param("order_id"));
    if (!found) return internal(found.error());
    if (!*found || (*found)->customer_id != *customer) {
      return json_error(404, "no shipment for this order", "order_id");
    }
    const auto& s = **found;
    return json_response(
        200, {{"order_id", s.order_id},
              {"shipment_id", s.shipment_id},
              {"status", s.status},
              {"carrier", s.carrier},
              {"tracking_number", s.tracking_number.empty() ? nlohmann::json(nullptr)
                                                            : nlohmann::json(s.tracking_number)},
              {"scheduled_at", velocity::format_rfc3339(s.scheduled_at)},
              {"dispatched_at", time_or_null(s.dispatched_at)},
              {"delivered_at", time_or_null(s.delivered_at)}});
  }

 private:
  static HttpResponse internal(const velocity::Error& error) {
    velocity::log::error("shipping: {}", error.message());
    return json_error(500, "shipping could not complete the request");
  }

  Service& service_;
  ShippingOptions options_;
};

}  // namespace

Result<ShippingOptions> ShippingOptions::from_env(const velocity::config::Env& env) {
  ShippingOptions options;
  auto dispatch = env.duration("VELOCITY_SHIPPING_DISPATCH_AFTER", options.dispatch_after);
  if (!dispatch) return std::unexpected(dispatch.error());
  options.dispatch_after = *dispatch;
  auto deliver = env.duration("VELOCITY_SHIPPING_DELIVER_AFTER", options.deliver_after);
  if (!deliver) return std::unexpected(deliver.error());
  options.deliver_after = *deliver;
  return options;
}

Result<void> install(Service& service, ShippingOptions options) {
  if (sodium_init() < 0)
    return velocity::fail(velocity::ErrorCode::kInternal, "libsodium failed to initialise");
  if (auto made = migrate_shipments(service.db()); !made) return made;
  auto carrier = std::make_shared<Carrier>(service, std::move(options));

  const std::string orders(shop::topics::kOrders);
  service.on<shop::OrderPlaced>(
      orders, [carrier](Transaction& tx, const shop::OrderPlaced& e, const Event&) {
        return carrier->remember(tx, e);
      });
  service.on<shop::OrderConfirmed>(
      orders, [carrier](Transaction& tx, const shop::OrderConfirmed& e, const Event&) {
        return carrier->schedule(tx, e);
      });
  service.on<shop::OrderCancelled>(
      orders, [carrier](Transaction& tx, const shop::OrderCancelled& e, const Event&) {
        return carrier->cancel(tx, e);
      });
  service.on_timer(
      [carrier](Transaction& tx, const SagaTimer& timer) { return carrier->on_timer(tx, timer); });
  service.route("GET", "/api/shipping/orders/{order_id}",
                [carrier](const HttpRequest& request) { return carrier->track(request); });
  return {};
}

}  // namespace shipping
