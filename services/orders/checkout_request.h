// The body of POST /api/orders/checkout, checked field by field before anything is written.
// Prices are not checked here (that needs the catalogue replica); everything else is.
// Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "shop/events.h"

namespace orders {

inline constexpr size_t kMaxLines = 50;
inline constexpr int64_t kMaxQuantity = 99;
inline constexpr size_t kMaxIdempotencyKey = 100;

struct RequestedLine {
  std::string sku;
  int64_t quantity = 0;
  int64_t unit_price_cents = 0;  // what the customer saw; must equal the catalogue's price
};

struct CheckoutRequest {
  std::vector<RequestedLine> lines;
  shop::Card card;  // number normalised to its digits
  shop::Address ship_to;
};

// A rejected input: the HTTP status, plain words, and the field at fault ("lines[1].quantity").
struct FieldError {
  int status = 400;
  std::string message;
  std::string field;
};

[[nodiscard]] std::expected<CheckoutRequest, FieldError> parse_checkout(const nlohmann::json& body);

// The digits of a card number written with or without spaces, or empty when it is not 12–19
// digits (other characters are not allowed).
std::string card_digits(std::string_view number);

// "lines[2].sku"
std::string line_field(size_t index, std::string_view name);

}  // namespace orders
