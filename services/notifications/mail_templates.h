// The words of every email the shop sends: a subject and a plain-text body per triggering
// event, composed from the event and the customer's name. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shop/events.h"

namespace notifications {

struct ComposedMail {
  std::string subject;
  std::string body;  // UTF-8, lines ended by '\n'
};

ComposedMail welcome_mail(std::string_view name, std::string_view email);
ComposedMail order_confirmed_mail(std::string_view name, const shop::OrderConfirmed& event);
ComposedMail order_cancelled_mail(std::string_view name, const shop::OrderCancelled& event);
ComposedMail order_dispatched_mail(std::string_view name, const shop::ShipmentDispatched& event);
ComposedMail order_delivered_mail(std::string_view name, const shop::ShipmentDelivered& event);

// "€29.90", "£5.00", "$12.34", else "12.34 CHF".
std::string format_money(int64_t cents, std::string_view currency);

}  // namespace notifications
