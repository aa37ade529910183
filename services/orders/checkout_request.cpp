#include "orders/checkout_request.h"

#include <set>

namespace orders {
namespace {

std::unexpected<FieldError> invalid(std::string message, std::string field) {
  return std::unexpected(FieldError{400, std::move(message), std::move(field)});
}

// A string member of `object`: missing or null reads as empty when optional; anything other
// than a string is an error.
std::expected<std::string, FieldError> text(const nlohmann::json& object, const char* name,
                                            const std::string& field, bool required,
                                            size_t max_length) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (required) return invalid(field + " is required", field);
    return std::string();
  }
  if (!it->is_string()) return invalid(field + " must be a string", field);
  auto value = it->get<std::string>();
  if (required && value.find_first_not_of(" \t") == std::string::npos)
    return invalid(field + " is required", field);
  if (value.size() > max_length) {
    return invalid(field + " must be at most " + std::to_string(max_length) + " characters", field);
  }
  return value;
}

std::expected<shop::Address, FieldError> parse_address(const nlohmann::json& body) {
  const auto it = body.find("ship_to");
  if (it == body.end() || !it->is_object())
    return invalid("ship_to must be an address object", "ship_to");
  shop::Address address;
  struct Part {
    const char* name;
    std::string* value;
    bool required;
  };
  const Part parts[] = {{"line1", &address.line1, true},
                        {"line2", &address.line2, false},
                        {"city", &address.city, true},
                        {"postcode", &address.postcode, true},
                        {"country", &address.country, true}};
  for (const auto& part : parts) {
    auto value = text(*it, part.name, std::string("ship_to.") + part.name, part.required, 200);
    if (!value) return std::unexpected(value.error());
    *part.value = std::move(*value);
  }
  return address;
}

std::expected<shop::Card, FieldError> parse_card(const nlohmann::json& body) {
  const auto it = body.find("card");
  if (it == body.end() || !it->is_object())
    return invalid("card must be an object with a number", "card");
  auto number = text(*it, "number", "card.number", true, 40);
  if (!number) return std::unexpected(number.error());
  shop::Card card;
  card.number = card_digits(*number);
  if (card.number.empty()) return invalid("card.number must be 12 to 19 digits", "card.number");
  auto holder = text(*it, "holder", "card.holder", false, 100);
  if (!holder) return std::unexpected(holder.error());
  card.holder = std::move(*holder);
  return card;
}

std::expected<std::vector<RequestedLine>, FieldError> parse_lines(const nlohmann::json& body) {
  const auto it = body.find("lines");
  if (it == body.end() || !it->is_array())
    return invalid("lines must be an array of order lines", "lines");
  if (it->empty()) return invalid("an order needs at least one line", "lines");
  if (it->size() > kMaxLines)
    return invalid("an order has at most " + std::to_string(kMaxLines) + " lines", "lines");
  std::vector<RequestedLine> lines;
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& item = (*it)[i];
    if (!item.is_object())
      return invalid(line_field(i, "") + " must be an object", "lines[" + std::to_string(i) + "]");
    RequestedLine line;
    auto sku = text(item, "sku", line_field(i, "sku"), true, 100);
    if (!sku) return std::unexpected(sku.error());
    line.sku = std::move(*sku);
    if (!seen.insert(line.sku).second) {
      return invalid("sku " + line.sku + " appears on more than one line", line_field(i, "sku"));
    }
    const auto quantity = item.find("quantity");
    if (quantity == item.end() || !quantity->is_number_integer() || quantity->get<int64_t>() < 1 ||
        quantity->get<int64_t>() > kMaxQuantity) {
      return invalid("quantity must be a whole number from 1 to " + std::to_string(kMaxQuantity),
                     line_field(i, "quantity"));
    }
    line.quantity = quantity->get<int64_t>();
    const auto price = item.find("unit_price_cents");
    if (price == item.end() || !price->is_number_integer() || price->get<int64_t>() < 0) {
      return invalid("unit_price_cents must be a whole number of cents",
                     line_field(i, "unit_price_cents"));
    }
    line.unit_price_cents = price->get<int64_t>();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

std::string line_field(size_t index, std::string_view name) {
  std::string field = "lines[" + std::to_string(index) + "]";
  if (!name.empty()) field.append(".").append(name);
  return field;
}

std::string card_digits(std::string_view number) {
  std::string digits;
  for (const char c : number) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return {};
    digits.push_back(c);
  }
  if (digits.size() < 12 || digits.size() > 19) return {};
  return digits;
}

std::expected<CheckoutRequest, FieldError> parse_checkout(const nlohmann::json& body) {
  CheckoutRequest request;
  auto lines = parse_lines(body);
  if (!lines) return std::unexpected(lines.error());
  request.lines = std::move(*lines);
  auto card = parse_card(body);
  if (!card) return std::unexpected(card.error());
  request.card = std::move(*card);
  auto address = parse_address(body);
  if (!address) return std::unexpected(address.error());
  request.ship_to = std::move(*address);
  return request;
}

}  // namespace orders
