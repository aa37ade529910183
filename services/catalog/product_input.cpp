#include "catalog/product_input.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace catalog {
namespace {

size_t count_characters(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

FieldError error(std::string field, std::string message) {
  return FieldError{std::move(field), std::move(message)};
}

// A string field of `object`: `fallback` when absent (nullopt: required), its length in
// characters between min and max, no control characters.
std::expected<std::string, FieldError> read_text(
    const nlohmann::json& object, const char* key, const std::string& field, size_t min, size_t max,
    std::optional<std::string> fallback = std::nullopt) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (fallback) return *fallback;
    return std::unexpected(error(field, field + " is required"));
  }
  if (!it->is_string()) return std::unexpected(error(field, field + " must be a string"));
  auto text = it->get<std::string>();
  const auto characters = count_characters(text);
  if (characters < min || characters > max || has_control_characters(text)) {
    return std::unexpected(error(field, field + " must be " + std::to_string(min) + " to " +
                                            std::to_string(max) + " characters"));
  }
  return text;
}

bool all_of(std::string_view text, int (*allowed)(int), std::string_view extra) {
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return allowed(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

int is_lower_alnum(int c) {
  return std::islower(c) || std::isdigit(c);
}
int is_alnum(int c) {
  return std::isalnum(c);
}
int is_upper(int c) {
  return std::isupper(c);
}

}  // namespace

std::expected<shop::Product, FieldError> read_product(const nlohmann::json& body) {
  shop::Product product;
  auto id = read_text(body, "product_id", "product_id", 1, 64);
  if (!id) return std::unexpected(id.error());
  if (!all_of(*id, is_lower_alnum, "-")) {
    return std::unexpected(
        error("product_id", "product_id may hold only lower-case letters, digits and '-'"));
  }
  product.product_id = std::move(*id);
  auto name = read_text(body, "name", "name", 1, 200);
  if (!name) return std::unexpected(name.error());
  product.name = std::move(*name);
  auto description = read_text(body, "description", "description", 0, 2000, "");
  if (!description) return std::unexpected(description.error());
  product.description = std::move(*description);
  auto category = read_text(body, "category", "category", 1, 100, "t-shirts");
  if (!category) return std::unexpected(category.error());
  product.category = std::move(*category);

  const auto price = body.find("price_cents");
  if (price == body.end() || !price->is_number_integer() || price->get<int64_t>() < 1 ||
      price->get<int64_t>() > 100'000'000) {
    return std::unexpected(
        error("price_cents", "price_cents must be a whole number of cents from 1 to 100000000"));
  }
  product.price_cents = price->get<int64_t>();
  auto currency = read_text(body, "currency", "currency", 3, 3, "EUR");
  if (!currency || !all_of(*currency, is_upper, "")) {
    return std::unexpected(
        error("currency", "currency must be an ISO code of three capital letters"));
  }
  product.currency = std::move(*currency);
  auto image = read_text(body, "image", "image", 0, 500, "");
  if (!image) return std::unexpected(image.error());
  product.image = std::move(*image);

  const auto skus = body.find("skus");
  if (skus == body.end() || !skus->is_array() || skus->empty() || skus->size() > 200) {
    return std::unexpected(error("skus", "skus must be a list of 1 to 200 {sku, size, colour}"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < skus->size(); ++i) {
    const auto& item = (*skus)[i];
    const std::string at = "skus[" + std::to_string(i) + "]";
    if (!item.is_object())
      return std::unexpected(error(at, at + " must be an object {sku, size, colour}"));
    auto sku = read_text(item, "sku", at + ".sku", 1, 100);
    if (!sku) return std::unexpected(sku.error());
    if (!all_of(*sku, is_alnum, "-_")) {
      return std::unexpected(
          error(at + ".sku", at + ".sku may hold only letters, digits, '-' and '_'"));
    }
    if (!seen.insert(*sku).second)
      return std::unexpected(error(at + ".sku", at + ".sku is listed twice"));
    auto size = read_text(item, "size", at + ".size", 1, 20);
    if (!size) return std::unexpected(size.error());
    auto colour = read_text(item, "colour", at + ".colour", 1, 50);
    if (!colour) return std::unexpected(colour.error());
    product.skus.push_back(shop::Sku{std::move(*sku), std::move(*size), std::move(*colour)});
  }
  return product;
}

}  // namespace catalog
