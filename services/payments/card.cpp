#include "payments/card.h"

#include <array>
#include <utility>

namespace payments {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kDecliningTestCards{{
    {"4000000000000002", "Your card was declined."},
    {"4000000000009995", "Insufficient funds."},
    {"4000000000000069", "Your card has expired."},
}};

}  // namespace

CardDecision authorize_card(std::string_view number) {
  std::string digits;
  bool only_digits = true;
  for (const char c : number) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') only_digits = false;
    digits.push_back(c);
  }
  CardDecision decision;
  if (digits.size() >= 4 && only_digits) decision.last4 = digits.substr(digits.size() - 4);
  if (!only_digits || digits.size() < 12 || digits.size() > 19) {
    decision.reason = "Your card number is not valid.";
    return decision;
  }
  for (const auto& [card, reason] : kDecliningTestCards) {
    if (digits == card) {
      decision.reason = std::string(reason);
      return decision;
    }
  }
  decision.authorized = true;
  return decision;
}

}  // namespace payments
