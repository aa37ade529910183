// The seed catalogue of t-shirts, shared by catalog (which publishes the products) and
// inventory (which stocks their SKUs), so both start from the same SKUs without a call.
#pragma once

#include <cstdint>
#include <vector>

#include "shop/events.h"

namespace shop {

std::vector<Product> seed_products();

// Units of every seed SKU that inventory starts with.
inline constexpr int64_t kSeedStockPerSku = 100;

}  // namespace shop
