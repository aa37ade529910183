#include "notifications/mail_templates.h"

#include <fmt/format.h>

namespace notifications {
namespace {

constexpr std::string_view kSignature = "\nVelocity Shop\n";

std::string greeting(std::string_view name) {
  if (name.find_first_not_of(' ') == std::string_view::npos) return "Hello,\n\n";
  return fmt::format("Hello {},\n\n", name);
}

// The words for a cancel whose event carries none.
std::string_view default_reason(std::string_view code) {
  if (code == shop::cancel_reason::kOutOfStock) return "Some of the items were out of stock.";
  if (code == shop::cancel_reason::kPaymentDeclined) return "Your payment was declined.";
  if (code == shop::cancel_reason::kCustomerRequest) return "You asked us to cancel it.";
  return "We could not complete it.";
}

}  // namespace

std::string format_money(int64_t cents, std::string_view currency) {
  const std::string sign = cents < 0 ? "-" : "";
  const uint64_t magnitude =
      cents < 0 ? static_cast<uint64_t>(-(cents + 1)) + 1 : static_cast<uint64_t>(cents);
  const std::string amount = fmt::format("{}.{:02d}", magnitude / 100, magnitude % 100);
  if (currency == "EUR") return sign + "€" + amount;
  if (currency == "GBP") return sign + "£" + amount;
  if (currency == "USD") return sign + "$" + amount;
  return fmt::format("{}{} {}", sign, amount, currency);
}

ComposedMail welcome_mail(std::string_view name, std::string_view email) {
  return {"Welcome to Velocity Shop",
          greeting(name) +
              fmt::format("welcome to Velocity Shop! Your account {} is ready.\n\n"
                          "Browse the catalogue, fill your cart and check out whenever you like.\n",
                          email) +
              std::string(kSignature)};
}

ComposedMail order_confirmed_mail(std::string_view name, const shop::OrderConfirmed& event) {
  return {fmt::format("Your order {} is confirmed", event.order_id),
          greeting(name) +
              fmt::format("thank you for your order {}. Your payment went through and the order is "
                          "confirmed.\n\n"
                          "Total: {}\n\n"
                          "We will write again when it is on its way.\n",
                          event.order_id, format_money(event.total_cents, event.currency)) +
              std::string(kSignature)};
}

ComposedMail order_cancelled_mail(std::string_view name, const shop::OrderCancelled& event) {
  const std::string reason =
      event.reason.empty() ? std::string(default_reason(event.reason_code)) : event.reason;
  return {fmt::format("Your order {} was cancelled", event.order_id),
          greeting(name) +
              fmt::format("your order {} was cancelled.\n\n"
                          "Reason: {}\n\n"
                          "If any amount was taken from your card, it is refunded.\n",
                          event.order_id, reason) +
              std::string(kSignature)};
}

ComposedMail order_dispatched_mail(std::string_view name, const shop::ShipmentDispatched& event) {
  const std::string tracking =
      event.tracking_number.empty() ? "not yet known" : event.tracking_number;
  return {fmt::format("Your order {} is on its way", event.order_id),
          greeting(name) +
              fmt::format("good news: your order {} has left our warehouse.\n\n"
                          "Tracking number: {}\n",
                          event.order_id, tracking) +
              std::string(kSignature)};
}

ComposedMail order_delivered_mail(std::string_view name, const shop::ShipmentDelivered& event) {
  return {fmt::format("Your order {} was delivered", event.order_id),
          greeting(name) +
              fmt::format("your order {} was delivered. We hope you enjoy it!\n", event.order_id) +
              std::string(kSignature)};
}

}  // namespace notifications
