#include "cart/cart.h"

#include <map>
#include <memory>

#include "cart/cart_store.h"
#include "common/log.h"
#include "shop/events.h"

namespace cart {
namespace {

using velocity::json_error;
using velocity::json_response;
using velocity::ops::HttpRequest;
using velocity::ops::HttpResponse;

namespace reason {
constexpr std::string_view kRemoved = "removed";
constexpr std::string_view kChanged = "changed";
constexpr std::string_view kOrdered = "ordered";
}  // namespace reason

HttpResponse internal_error(std::string_view what, const velocity::Error& error) {
  velocity::log::error("cart: {}: {}", what, error.message());
  return json_error(500, "the cart failed; try again");
}

HttpResponse unknown_sku() {
  return json_error(404, "no product has this SKU", "sku");
}

// `body.quantity` as a whole number from `min` to kMaxLineQuantity.
std::optional<int64_t> read_quantity(const nlohmann::json& body, int64_t min) {
  const auto it = body.find("quantity");
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  const auto quantity = it->get<int64_t>();
  if (quantity < min || quantity > kMaxLineQuantity) return std::nullopt;
  return quantity;
}

// The route and event handlers, sharing the service.
class Carts {
 public:
  explicit Carts(velocity::Service& service) : service_(service) {}

  HttpResponse view(const HttpRequest& request);
  HttpResponse add_item(const HttpRequest& request);
  HttpResponse set_item(const HttpRequest& request);
  HttpResponse remove_item(const HttpRequest& request);
  velocity::Result<void> on_product(velocity::Transaction& tx, const shop::Product& product,
                                    const velocity::Event& event);
  velocity::Result<void> on_order_placed(velocity::Transaction& tx, const shop::OrderPlaced& order,
                                         const velocity::Event& event);

 private:
  // Moves the customer's line from `before` to `after` units, emitting what changed, then
  // commits and answers with the cart.
  HttpResponse change_line(velocity::Transaction& tx, const std::string& customer_id,
                           const std::string& sku, const std::string& product_id, int64_t before,
                           int64_t after);
  velocity::Result<void> record_change(velocity::Transaction& tx, const std::string& customer_id,
                                       const std::string& sku, const std::string& product_id,
                                       int64_t before, int64_t after,
                                       std::string_view removal_reason);
  HttpResponse respond(velocity::Transaction& tx, const std::string& customer_id);

  velocity::Service& service_;
};

velocity::Result<void> Carts::record_change(velocity::Transaction& tx,
                                            const std::string& customer_id, const std::string& sku,
                                            const std::string& product_id, int64_t before,
                                            int64_t after, std::string_view removal_reason) {
  if (before == after) return {};
  if (auto set = set_line(tx, customer_id, sku, after); !set) return set;
  velocity::Result<velocity::Event> emitted;
  if (after > before) {
    emitted =
        service_.emit(tx, shop::topics::kCarts, customer_id,
                      shop::CartItemAdded{customer_id, sku, product_id, after - before, after});
  } else {
    emitted = service_.emit(tx, shop::topics::kCarts, customer_id,
                            shop::CartItemRemoved{customer_id, sku, before - after, after,
                                                  std::string(removal_reason)});
  }
  if (!emitted) return std::unexpected(emitted.error());
  return {};
}

HttpResponse Carts::respond(velocity::Transaction& tx, const std::string& customer_id) {
  auto cart = cart_view(tx, customer_id);
  if (!cart) return internal_error("read cart", cart.error());
  if (auto committed = service_.commit(tx); !committed)
    return internal_error("save cart", committed.error());
  return json_response(200, *cart);
}

HttpResponse Carts::change_line(velocity::Transaction& tx, const std::string& customer_id,
                                const std::string& sku, const std::string& product_id,
                                int64_t before, int64_t after) {
  const auto why = after == 0 ? reason::kRemoved : reason::kChanged;
  if (auto changed = record_change(tx, customer_id, sku, product_id, before, after, why);
      !changed) {
    return internal_error("change cart", changed.error());
  }
  return respond(tx, customer_id);
}

HttpResponse Carts::view(const HttpRequest& request) {
  auto customer = service_.customer(request);
  if (!customer) return customer.error();
  auto tx = service_.db().begin();
  if (!tx) return internal_error("read cart", tx.error());
  return respond(*tx, *customer);
}

HttpResponse Carts::add_item(const HttpRequest& request) {
  auto customer = service_.customer(request);
  if (!customer) return customer.error();
  auto body = velocity::json_body(request);
  if (!body) return body.error();
  const auto sku = body->find("sku");
  if (sku == body->end() || !sku->is_string() || sku->get<std::string>().empty()) {
    return json_error(400, "sku is required", "sku");
  }
  const auto quantity = read_quantity(*body, 1);
  if (!quantity) return json_error(400, "quantity must be a whole number from 1 to 99", "quantity");

  auto tx = service_.db().begin();
  if (!tx) return internal_error("add to cart", tx.error());
  auto entry = find_sku(*tx, sku->get<std::string>());
  if (!entry) return internal_error("add to cart", entry.error());
  if (!*entry || !(*entry)->listed) return unknown_sku();
  auto before = line_quantity(*tx, *customer, (*entry)->sku);
  if (!before) return internal_error("add to cart", before.error());
  if (*before + *quantity > kMaxLineQuantity) {
    return json_error(
        400, "a cart line holds at most 99; this one has " + std::to_string(*before) + " already",
        "quantity");
  }
  return change_line(*tx, *customer, (*entry)->sku, (*entry)->product_id, *before,
                     *before + *quantity);
}

HttpResponse Carts::set_item(const HttpRequest& request) {
  auto customer = service_.customer(request);
  if (!customer) return customer.error();
  auto body = velocity::json_body(request);
  if (!body) return body.error();
  const auto quantity = read_quantity(*body, 0);
  if (!quantity) return json_error(400, "quantity must be a whole number from 0 to 99", "quantity");
  const auto sku = request.param("sku");

  auto tx = service_.db().begin();
  if (!tx) return internal_error("change cart", tx.error());
  auto before = line_quantity(*tx, *customer, sku);
  if (!before) return internal_error("change cart", before.error());
  auto entry = find_sku(*tx, sku);
  if (!entry) return internal_error("change cart", entry.error());
  // Fewer units of anything in the cart are always fine; more need a SKU that is still listed.
  if (*quantity > *before && (!*entry || !(*entry)->listed)) return unknown_sku();
  const auto product_id = *entry ? (*entry)->product_id : std::string();
  return change_line(*tx, *customer, sku, product_id, *before, *quantity);
}

HttpResponse Carts::remove_item(const HttpRequest& request) {
  auto customer = service_.customer(request);
  if (!customer) return customer.error();
  const auto sku = request.param("sku");
  auto tx = service_.db().begin();
  if (!tx) return internal_error("remove from cart", tx.error());
  auto before = line_quantity(*tx, *customer, sku);
  if (!before) return internal_error("remove from cart", before.error());
  return change_line(*tx, *customer, sku, {}, *before, 0);
}

velocity::Result<void> Carts::on_product(velocity::Transaction& tx, const shop::Product& product,
                                         const velocity::Event& event) {
  if (product.product_id.empty())
    return velocity::poison("event " + event.id + ": a product needs a product_id");
  for (const auto& sku : product.skus) {
    if (sku.sku.empty())
      return velocity::poison("event " + event.id + ": every SKU of a product needs a sku");
  }
  return apply_product(tx, product, event.time);
}

velocity::Result<void> Carts::on_order_placed(velocity::Transaction& tx,
                                              const shop::OrderPlaced& order,
                                              const velocity::Event& event) {
  if (order.customer_id.empty())
    return velocity::poison("event " + event.id + ": an order needs a customer_id");
  std::map<std::string, int64_t> ordered;  // an order may list one SKU on several lines
  for (const auto& line : order.lines) {
    if (line.sku.empty() || line.quantity <= 0) {
      return velocity::poison("event " + event.id +
                              ": an order line needs a sku and a positive quantity");
    }
    ordered[line.sku] += line.quantity;
  }
  for (const auto& [sku, quantity] : ordered) {
    auto before = line_quantity(tx, order.customer_id, sku);
    if (!before) return std::unexpected(before.error());
    // A line holding more than was ordered keeps the rest; one holding less simply goes.
    const auto after = std::max<int64_t>(*before - quantity, 0);
    if (auto changed =
            record_change(tx, order.customer_id, sku, {}, *before, after, reason::kOrdered);
        !changed) {
      return changed;
    }
  }
  return {};
}

}  // namespace

velocity::Result<void> install(velocity::Service& service) {
  if (auto migrated = service.migrate(kSchema); !migrated) return migrated;
  auto carts = std::make_shared<Carts>(service);
  service.route("GET", "/api/cart", [carts](const HttpRequest& r) { return carts->view(r); });
  service.route("POST", "/api/cart/items",
                [carts](const HttpRequest& r) { return carts->add_item(r); });
  service.route("PUT", "/api/cart/items/{sku}",
                [carts](const HttpRequest& r) { return carts->set_item(r); });
  service.route("DELETE", "/api/cart/items/{sku}",
                [carts](const HttpRequest& r) { return carts->remove_item(r); });

  const std::string catalog(shop::topics::kCatalog);
  service.on<shop::ProductAdded>(
      catalog,
      [carts](velocity::Transaction& tx, const shop::ProductAdded& e,
              const velocity::Event& event) { return carts->on_product(tx, e.product, event); });
  service.on<shop::ProductUpdated>(
      catalog,
      [carts](velocity::Transaction& tx, const shop::ProductUpdated& e,
              const velocity::Event& event) { return carts->on_product(tx, e.product, event); });
  service.on<shop::OrderPlaced>(
      std::string(shop::topics::kOrders),
      [carts](velocity::Transaction& tx, const shop::OrderPlaced& e, const velocity::Event& event) {
        return carts->on_order_placed(tx, e, event);
      });
  return {};
}

}  // namespace cart
