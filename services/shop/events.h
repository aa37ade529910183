// The store's event contracts: one struct per event type, declared once and shared by the
// service that publishes it and every service that consumes it. Type names are versioned
// (`shop.order.placed.v1`); a breaking change is a new type, never an edit of an old one.
//
// Conventions every contract keeps:
//   - the message key (CloudEvents subject) is the aggregate id named in the comment;
//   - every event a customer may see carries `customer_id`, which the gateway filters on;
//   - money is integer cents with an ISO currency; quantities are positive integers;
//   - unknown fields are ignored and missing optional fields take their defaults, so adding a
//     field with a default is a compatible change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace shop {

// Topics, one per publishing service. Consumers subscribe to the topics whose events they need.
namespace topics {
inline constexpr std::string_view kUsers = "shop.users";
inline constexpr std::string_view kCatalog = "shop.catalog";
inline constexpr std::string_view kCarts = "shop.carts";
inline constexpr std::string_view kOrders = "shop.orders";
inline constexpr std::string_view kInventory = "shop.inventory";
inline constexpr std::string_view kPayments = "shop.payments";
inline constexpr std::string_view kShipping = "shop.shipping";
inline constexpr std::string_view kNotifications = "shop.notifications";
inline constexpr std::string_view kAll[] = {kUsers,    kCatalog,  kCarts,    kOrders,
                                            kInventory, kPayments, kShipping, kNotifications};
}  // namespace topics

// --- users (key: customer_id) ------------------------------------------------------------
struct UserRegistered {
  static constexpr std::string_view kType = "shop.user.registered.v1";
  std::string customer_id;
  std::string email;
  std::string name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UserRegistered, customer_id, email, name)

struct UserLoggedIn {
  static constexpr std::string_view kType = "shop.user.logged_in.v1";
  std::string customer_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UserLoggedIn, customer_id)

struct Address {
  std::string line1;
  std::string line2;
  std::string city;
  std::string postcode;
  std::string country;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Address, line1, line2, city, postcode, country)

struct ProfileUpdated {
  static constexpr std::string_view kType = "shop.user.profile_updated.v1";
  std::string customer_id;
  std::string email;
  std::string name;
  Address address;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProfileUpdated, customer_id, email, name, address)

// --- catalog (key: product_id) -----------------------------------------------------------
// A SKU is one size and colour of a product: "<product_id>-<size>-<colour code>".
struct Sku {
  std::string sku;
  std::string size;    // "S", "M", "L", "XL"
  std::string colour;  // "Black"
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Sku, sku, size, colour)

struct Product {
  std::string product_id;
  std::string name;
  std::string description;
  std::string category;  // "t-shirts"
  int64_t price_cents = 0;
  std::string currency = "EUR";
  std::string image;     // a URL path served by the gateway, e.g. "/images/tee-basic-black.svg"
  std::vector<Sku> skus;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Product, product_id, name, description, category,
                                                price_cents, currency, image, skus)

struct ProductAdded {
  static constexpr std::string_view kType = "shop.catalog.product_added.v1";
  Product product;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProductAdded, product)

struct ProductUpdated {
  static constexpr std::string_view kType = "shop.catalog.product_updated.v1";
  Product product;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProductUpdated, product)

struct ItemsSearched {
  static constexpr std::string_view kType = "shop.catalog.items_searched.v1";
  std::string customer_id;  // empty for an anonymous visitor
  std::string query;
  int64_t results = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ItemsSearched, customer_id, query, results)

// --- cart (key: customer_id) ---------------------------------------------------------------
struct CartItemAdded {
  static constexpr std::string_view kType = "shop.cart.item_added.v1";
  std::string customer_id;
  std::string sku;
  std::string product_id;
  int64_t quantity = 0;      // added now
  int64_t line_quantity = 0; // of this SKU in the cart afterwards
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CartItemAdded, customer_id, sku, product_id, quantity,
                                                line_quantity)

struct CartItemRemoved {
  static constexpr std::string_view kType = "shop.cart.item_removed.v1";
  std::string customer_id;
  std::string sku;
  int64_t quantity = 0;       // removed now
  int64_t line_quantity = 0;  // of this SKU in the cart afterwards (0: the line is gone)
  std::string reason;         // "removed", "changed", "ordered"
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CartItemRemoved, customer_id, sku, quantity, line_quantity,
                                                reason)

// --- orders (key: order_id) ----------------------------------------------------------------
struct OrderLine {
  std::string sku;
  std::string product_id;
  std::string name;
  std::string size;
  std::string colour;
  int64_t quantity = 0;
  int64_t unit_price_cents = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OrderLine, sku, product_id, name, size, colour, quantity,
                                                unit_price_cents)

// The simulated card: only its number matters; see docs/api.md for the test cards that decline.
struct Card {
  std::string number;
  std::string holder;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Card, number, holder)

struct OrderPlaced {
  static constexpr std::string_view kType = "shop.order.placed.v1";
  std::string order_id;
  std::string customer_id;
  std::vector<OrderLine> lines;
  int64_t total_cents = 0;
  std::string currency = "EUR";
  Card card;
  Address ship_to;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OrderPlaced, order_id, customer_id, lines, total_cents,
                                                currency, card, ship_to)

struct OrderConfirmed {
  static constexpr std::string_view kType = "shop.order.confirmed.v1";
  std::string order_id;
  std::string customer_id;
  int64_t total_cents = 0;
  std::string currency = "EUR";
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OrderConfirmed, order_id, customer_id, total_cents, currency)

// Why an order was cancelled, as a code for programs and words for people.
namespace cancel_reason {
inline constexpr std::string_view kOutOfStock = "out_of_stock";
inline constexpr std::string_view kPaymentDeclined = "payment_declined";
inline constexpr std::string_view kCustomerRequest = "customer_request";
inline constexpr std::string_view kTimeout = "timeout";  // the saga did not finish in time
}  // namespace cancel_reason

struct OrderCancelled {
  static constexpr std::string_view kType = "shop.order.cancelled.v1";
  std::string order_id;
  std::string customer_id;
  std::string reason_code;  // one of cancel_reason
  std::string reason;       // plain words for the customer
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OrderCancelled, order_id, customer_id, reason_code, reason)

struct OrderCompleted {
  static constexpr std::string_view kType = "shop.order.completed.v1";
  std::string order_id;
  std::string customer_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OrderCompleted, order_id, customer_id)

// --- inventory (key: order_id for reservations, sku for adjustments) -----------------------
struct StockLine {
  std::string sku;
  int64_t quantity = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockLine, sku, quantity)

// Units a SKU has left to sell after the change; catalog keeps availability from these.
struct StockLevel {
  std::string sku;
  int64_t available = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockLevel, sku, available)

// Carries what payment needs from the order, so the next step of the saga needs no lookup.
struct StockReserved {
  static constexpr std::string_view kType = "shop.inventory.stock_reserved.v1";
  std::string order_id;
  std::string customer_id;
  std::vector<StockLine> lines;
  int64_t total_cents = 0;
  std::string currency = "EUR";
  Card card;
  std::vector<StockLevel> levels;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockReserved, order_id, customer_id, lines, total_cents,
                                                currency, card, levels)

struct StockRejected {
  static constexpr std::string_view kType = "shop.inventory.stock_rejected.v1";
  std::string order_id;
  std::string customer_id;
  std::vector<StockLine> unavailable;  // what was asked for and could not be reserved
  std::string reason;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockRejected, order_id, customer_id, unavailable, reason)

struct StockReleased {
  static constexpr std::string_view kType = "shop.inventory.stock_released.v1";
  std::string order_id;
  std::string customer_id;
  std::vector<StockLine> lines;
  std::string reason;
  std::vector<StockLevel> levels;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockReleased, order_id, customer_id, lines, reason, levels)

struct StockAdjusted {
  static constexpr std::string_view kType = "shop.inventory.stock_adjusted.v1";
  std::string sku;
  int64_t delta = 0;  // units added (restock, initial stock) or removed (write-off)
  std::string reason;  // "initial", "restock", "write-off"
  std::vector<StockLevel> levels;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StockAdjusted, sku, delta, reason, levels)

// --- payments (key: order_id) --------------------------------------------------------------
struct PaymentAuthorized {
  static constexpr std::string_view kType = "shop.payment.authorized.v1";
  std::string order_id;
  std::string customer_id;
  std::string payment_id;
  int64_t amount_cents = 0;
  std::string currency = "EUR";
  std::string card_last4;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PaymentAuthorized, order_id, customer_id, payment_id,
                                                amount_cents, currency, card_last4)

struct PaymentDeclined {
  static constexpr std::string_view kType = "shop.payment.declined.v1";
  std::string order_id;
  std::string customer_id;
  std::string reason;
  std::string card_last4;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PaymentDeclined, order_id, customer_id, reason, card_last4)

struct PaymentRefunded {
  static constexpr std::string_view kType = "shop.payment.refunded.v1";
  std::string order_id;
  std::string customer_id;
  std::string payment_id;
  int64_t amount_cents = 0;
  std::string currency = "EUR";
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PaymentRefunded, order_id, customer_id, payment_id,
                                                amount_cents, currency)

// --- shipping (key: order_id) --------------------------------------------------------------
struct ShipmentScheduled {
  static constexpr std::string_view kType = "shop.shipping.scheduled.v1";
  std::string order_id;
  std::string customer_id;
  std::string shipment_id;
  std::string carrier;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ShipmentScheduled, order_id, customer_id, shipment_id, carrier)

struct ShipmentDispatched {
  static constexpr std::string_view kType = "shop.shipping.dispatched.v1";
  std::string order_id;
  std::string customer_id;
  std::string shipment_id;
  std::string tracking_number;
  std::vector<StockLine> lines;  // what left the warehouse; inventory moves it from reserved to shipped
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ShipmentDispatched, order_id, customer_id, shipment_id,
                                                tracking_number, lines)

struct ShipmentDelivered {
  static constexpr std::string_view kType = "shop.shipping.delivered.v1";
  std::string order_id;
  std::string customer_id;
  std::string shipment_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ShipmentDelivered, order_id, customer_id, shipment_id)

struct ShipmentCancelled {
  static constexpr std::string_view kType = "shop.shipping.cancelled.v1";
  std::string order_id;
  std::string customer_id;
  std::string shipment_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ShipmentCancelled, order_id, customer_id, shipment_id)

// --- notifications (key: the triggering event's subject) -----------------------------------
struct EmailSent {
  static constexpr std::string_view kType = "shop.notification.email_sent.v1";
  std::string email_id;
  std::string customer_id;
  std::string to;
  std::string subject;
  std::string trigger_event_id;  // "<source>/<id>" of the event that caused it
  std::string trigger_type;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EmailSent, email_id, customer_id, to, subject,
                                                trigger_event_id, trigger_type)

}  // namespace shop
