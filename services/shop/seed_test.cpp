#include "shop/seed.h"

#include <gtest/gtest.h>

#include <set>

namespace shop {
namespace {

TEST(SeedCatalogue, EveryProductHasPricedUniqueSkusInEverySize) {
  const auto products = seed_products();
  ASSERT_GE(products.size(), 6u);
  std::set<std::string> ids;
  std::set<std::string> skus;
  for (const auto& p : products) {
    EXPECT_TRUE(ids.insert(p.product_id).second) << p.product_id;
    EXPECT_GT(p.price_cents, 0) << p.product_id;
    EXPECT_FALSE(p.image.empty());
    std::set<std::string> sizes;
    for (const auto& sku : p.skus) {
      EXPECT_TRUE(skus.insert(sku.sku).second) << sku.sku;
      EXPECT_TRUE(sku.sku.starts_with(p.product_id + "-")) << sku.sku;
      sizes.insert(sku.size);
    }
    EXPECT_EQ(sizes, (std::set<std::string>{"S", "M", "L", "XL"})) << p.product_id;
  }
}

TEST(SeedCatalogue, IsTheSameEveryTime) {
  const auto a = seed_products();
  const auto b = seed_products();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    nlohmann::json ja = a[i];
    nlohmann::json jb = b[i];
    EXPECT_EQ(ja, jb);
  }
}

}  // namespace
}  // namespace shop
