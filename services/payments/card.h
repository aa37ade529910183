// The simulated card network: decides whether a card number is authorised, with the test cards
// of docs/api.md that decline. Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace payments {

struct CardDecision {
  bool authorized = false;
  std::string reason;  // plain words when declined, empty when authorised
  std::string last4;   // the only part of the number that is ever kept or published
};

// Spaces are ignored; any other non-digit, or fewer than 12 or more than 19 digits, declines.
CardDecision authorize_card(std::string_view number);

}  // namespace payments
