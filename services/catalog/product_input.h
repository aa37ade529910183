// A product as an operator sends it to POST /api/catalog/admin/products, checked field by field
// before anything is stored. Pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "shop/events.h"
#include "velocity/result.h"

namespace catalog {

struct FieldError {
  std::string field;  // "price_cents", "skus[2].size"
  std::string message;
};

// product_id (lower-case letters, digits, '-'), name (1–200 characters), description (≤ 2000),
// category (default "t-shirts"), price_cents (1 … 100 000 000), currency (three capital letters,
// default "EUR"), image (a path, ≤ 500), skus (1–200 of {sku, size, colour}, each sku once).
// `available` and `in_stock`, shown by the API, are ignored: availability comes from inventory.
std::expected<shop::Product, FieldError> read_product(const nlohmann::json& body);

}  // namespace catalog
