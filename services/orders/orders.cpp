#include "orders/orders.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "orders/checkout_request.h"
#include "orders/order_saga.h"
#include "orders/order_store.h"
#include "shop/events.h"

namespace orders {
namespace {

using velocity::Result;
using velocity::Transaction;
using velocity::ops::HttpRequest;
using velocity::ops::HttpResponse;

std::string new_order_id() {
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return "ord_" + std::string(hex);
}

HttpResponse internal_error(std::string_view what, const velocity::Error& error) {
  spdlog::error("orders: {}: {}", what, error.message());
  return velocity::json_error(500, "something went wrong on our side; please try again");
}

// The HTTP side of the service. Borrows the Service, which outlives its routes.
class OrdersApi {
 public:
  OrdersApi(velocity::Service& service, std::shared_ptr<OrderSaga> saga, OrdersOptions options)
      : service_(service), saga_(std::move(saga)), options_(options) {}

  HttpResponse checkout(const HttpRequest& request) {
    auto customer = service_.customer(request);
    if (!customer) return customer.error();
    const auto key = request.header("idempotency-key");
    if (!key || key->empty()) {
      return velocity::json_error(400, "the Idempotency-Key header is required", "Idempotency-Key");
    }
    if (key->size() > kMaxIdempotencyKey) {
      return velocity::json_error(400, "the Idempotency-Key header must be at most 100 characters",
                                  "Idempotency-Key");
    }
    auto tx = service_.db().begin();
    if (!tx) return internal_error("checkout", tx.error());
    // The key decides before the body does: a retried request gets the order its first attempt
    // placed, whatever happened to the catalogue since.
    auto existing = find_by_idempotency_key(*tx, *customer, *key);
    if (!existing) return internal_error("checkout", existing.error());
    if (*existing) return velocity::json_response(200, to_json(**existing));

    auto body = velocity::json_body(request);
    if (!body) return body.error();
    auto parsed = parse_checkout(*body);
    if (!parsed)
      return velocity::json_error(parsed.error().status, parsed.error().message,
                                  parsed.error().field);

    Order order;
    order.order_id = new_order_id();
    order.customer_id = *customer;
    order.ship_to = parsed->ship_to;
    for (size_t i = 0; i < parsed->lines.size(); ++i) {
      const auto& wanted = parsed->lines[i];
      auto item = find_sku(*tx, wanted.sku);
      if (!item) return internal_error("checkout", item.error());
      if (!*item)
        return velocity::json_error(400, "we do not sell sku " + wanted.sku, line_field(i, "sku"));
      if (order.currency.empty()) order.currency = (*item)->currency;
      if ((*item)->currency != order.currency) {
        return velocity::json_error(400, "every line of an order must be in " + order.currency,
                                    line_field(i, "sku"));
      }
      if ((*item)->line.unit_price_cents != wanted.unit_price_cents) {
        return velocity::json_error(409,
                                    "the price of " + (*item)->line.name + " is now " +
                                        std::to_string((*item)->line.unit_price_cents) + " cents",
                                    line_field(i, "unit_price_cents"));
      }
      shop::OrderLine line = (*item)->line;
      line.quantity = wanted.quantity;
      order.total_cents += line.quantity * line.unit_price_cents;
      order.lines.push_back(std::move(line));
    }
    order.created_ms = order.updated_ms = now_ms();
    order.history.push_back(HistoryEntry{"placed", order.created_ms, "Order placed."});
    if (auto stored = insert_order(*tx, order, *key); !stored)
      return internal_error("checkout", stored.error());

    shop::OrderPlaced placed{order.order_id, order.customer_id, order.lines,  order.total_cents,
                             order.currency, parsed->card,      order.ship_to};
    if (auto emitted = service_.emit(*tx, shop::topics::kOrders, order.order_id, placed);
        !emitted) {
      return internal_error("checkout", emitted.error());
    }
    if (options_.order_timeout.count() > 0) {
      auto scheduled = service_.sagas().schedule(
          *tx, order.order_id, std::chrono::system_clock::now() + options_.order_timeout,
          kOrderTimeoutTimer);
      if (!scheduled) return internal_error("checkout", scheduled.error());
    }
    if (auto committed = service_.commit(*tx); !committed)
      return internal_error("checkout", committed.error());
    return velocity::json_response(201, to_json(order));
  }

  HttpResponse list(const HttpRequest& request) {
    auto customer = service_.customer(request);
    if (!customer) return customer.error();
    auto tx = service_.db().begin();
    if (!tx) return internal_error("list orders", tx.error());
    auto orders = list_orders(*tx, *customer);
    if (!orders) return internal_error("list orders", orders.error());
    nlohmann::json body = {{"orders", nlohmann::json::array()}};
    for (const auto& order : *orders) body["orders"].push_back(to_json(order));
    return velocity::json_response(200, body);
  }

  HttpResponse get(const HttpRequest& request) {
    auto customer = service_.customer(request);
    if (!customer) return customer.error();
    auto tx = service_.db().begin();
    if (!tx) return internal_error("get order", tx.error());
    auto order = own_order(*tx, request.param("order_id"), *customer);
    if (!order) return internal_error("get order", order.error());
    if (!*order) return not_found();
    return velocity::json_response(200, to_json(**order));
  }

  HttpResponse cancel(const HttpRequest& request) {
    auto customer = service_.customer(request);
    if (!customer) return customer.error();
    auto tx = service_.db().begin();
    if (!tx) return internal_error("cancel order", tx.error());
    auto order = own_order(*tx, request.param("order_id"), *customer);
    if (!order) return internal_error("cancel order", order.error());
    if (!*order) return not_found();
    auto& current = **order;
    if (!customer_may_cancel(current.status)) {
      const std::string why =
          current.status == OrderStatus::kCancelled   ? "this order is already cancelled"
          : current.status == OrderStatus::kCompleted ? "this order is already completed"
                                                      : "this order has already been dispatched";
      return velocity::json_error(409, why, "status");
    }
    if (auto cancelled = saga_->cancel(*tx, current, shop::cancel_reason::kCustomerRequest,
                                       std::string(kCustomerReason));
        !cancelled) {
      return internal_error("cancel order", cancelled.error());
    }
    if (auto committed = service_.commit(*tx); !committed)
      return internal_error("cancel order", committed.error());
    return velocity::json_response(202, to_json(current));
  }

 private:
  static HttpResponse not_found() { return velocity::json_error(404, "no such order", "order_id"); }

  // Another customer's order reads as missing, so its existence is not revealed.
  static Result<std::optional<Order>> own_order(Transaction& tx, const std::string& order_id,
                                                const std::string& customer_id) {
    auto order = load_order(tx, order_id);
    if (!order) return std::unexpected(order.error());
    if (*order && (*order)->customer_id != customer_id) return std::optional<Order>();
    return order;
  }

  velocity::Service& service_;
  std::shared_ptr<OrderSaga> saga_;
  OrdersOptions options_;
};

Result<void> on_product(Transaction& tx, const shop::Product& product) {
  if (product.product_id.empty()) return velocity::poison("a product without a product_id");
  if (product.price_cents < 0)
    return velocity::poison("product " + product.product_id + " has a negative price");
  return upsert_product(tx, product);
}

}  // namespace

Result<OrdersOptions> OrdersOptions::from_env(const velocity::config::Env& env) {
  OrdersOptions options;
  auto timeout = env.duration("VELOCITY_ORDER_TIMEOUT", options.order_timeout);
  if (!timeout) return std::unexpected(timeout.error());
  options.order_timeout = *timeout;
  return options;
}

Result<void> install(velocity::Service& service, OrdersOptions options) {
  if (sodium_init() < 0)
    return velocity::fail(velocity::ErrorCode::kInternal, "libsodium failed to initialise");
  if (auto migrated = service.migrate(kSchema); !migrated) return migrated;

  // Shared by the handlers registered below; the Service keeps them (and so these) alive.
  auto saga = std::make_shared<OrderSaga>(service);
  auto api = std::make_shared<OrdersApi>(service, saga, options);

  service.route("POST", "/api/orders/checkout",
                [api](const HttpRequest& r) { return api->checkout(r); });
  service.route("GET", "/api/orders", [api](const HttpRequest& r) { return api->list(r); });
  service.route("GET", "/api/orders/{order_id}",
                [api](const HttpRequest& r) { return api->get(r); });
  service.route("POST", "/api/orders/{order_id}/cancel",
                [api](const HttpRequest& r) { return api->cancel(r); });

  using velocity::Event;
  const std::string catalog(shop::topics::kCatalog);
  service.on<shop::ProductAdded>(catalog, [](Transaction& tx, const shop::ProductAdded& e,
                                             const Event&) { return on_product(tx, e.product); });
  service.on<shop::ProductUpdated>(catalog, [](Transaction& tx, const shop::ProductUpdated& e,
                                               const Event&) { return on_product(tx, e.product); });

  const std::string inventory(shop::topics::kInventory);
  service.on<shop::StockReserved>(
      inventory, [saga](Transaction& tx, const shop::StockReserved& e, const Event&) {
        return saga->on_stock_reserved(tx, e);
      });
  service.on<shop::StockRejected>(
      inventory, [saga](Transaction& tx, const shop::StockRejected& e, const Event&) {
        return saga->on_stock_rejected(tx, e);
      });

  const std::string payments(shop::topics::kPayments);
  service.on<shop::PaymentAuthorized>(
      payments, [saga](Transaction& tx, const shop::PaymentAuthorized& e, const Event&) {
        return saga->on_payment_authorized(tx, e);
      });
  service.on<shop::PaymentDeclined>(
      payments, [saga](Transaction& tx, const shop::PaymentDeclined& e, const Event&) {
        return saga->on_payment_declined(tx, e);
      });

  const std::string shipping(shop::topics::kShipping);
  service.on<shop::ShipmentScheduled>(
      shipping, [saga](Transaction& tx, const shop::ShipmentScheduled& e, const Event&) {
        return saga->on_shipment_scheduled(tx, e);
      });
  service.on<shop::ShipmentDispatched>(
      shipping, [saga](Transaction& tx, const shop::ShipmentDispatched& e, const Event&) {
        return saga->on_shipment_dispatched(tx, e);
      });
  service.on<shop::ShipmentDelivered>(
      shipping, [saga](Transaction& tx, const shop::ShipmentDelivered& e, const Event&) {
        return saga->on_shipment_delivered(tx, e);
      });

  service.on_timer([saga](Transaction& tx, const velocity::SagaTimer& timer) -> Result<void> {
    if (timer.name != kOrderTimeoutTimer) return {};
    return saga->on_timeout(tx, timer.saga_id);
  });
  return {};
}

}  // namespace orders
