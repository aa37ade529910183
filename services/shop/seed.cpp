#include "shop/seed.h"

#include <string>

namespace shop {
namespace {

struct Colour {
  const char* name;
  const char* code;
};

struct Design {
  const char* id;
  const char* name;
  const char* description;
  int64_t price_cents;
  std::vector<Colour> colours;
};

}  // namespace

std::vector<Product> seed_products() {
  const std::vector<Design> designs = {
      {"tee-classic", "Classic Crew Tee", "Heavyweight organic cotton crew neck with a relaxed fit.", 2500,
       {{"Black", "blk"}, {"White", "wht"}, {"Navy", "nvy"}}},
      {"tee-vneck", "Everyday V-Neck", "Soft combed cotton V-neck that keeps its shape wash after wash.", 2200,
       {{"Grey", "gry"}, {"White", "wht"}}},
      {"tee-pocket", "Pocket Tee", "Boxy cut with a chest pocket, garment dyed for a lived-in look.", 2900,
       {{"Olive", "olv"}, {"Sand", "snd"}}},
      {"tee-stripe", "Breton Stripe Tee", "Striped jersey tee inspired by sailors' shirts.", 3400,
       {{"Navy", "nvy"}, {"Red", "red"}}},
      {"tee-graphic-wave", "Wave Graphic Tee", "Soft cotton tee with a printed ocean wave.", 3200,
       {{"White", "wht"}, {"Sky", "sky"}}},
      {"tee-longsleeve", "Long Sleeve Tee", "Midweight long sleeve tee for cooler days.", 3500,
       {{"Black", "blk"}, {"Oat", "oat"}}},
      {"tee-performance", "Performance Running Tee", "Light, quick-drying tee for running and training.", 3000,
       {{"Lime", "lim"}, {"Black", "blk"}}},
      {"tee-kids", "Kids' Dino Tee", "Durable cotton tee with a friendly dinosaur print.", 1800,
       {{"Green", "grn"}, {"Yellow", "ylw"}}},
  };
  const std::vector<const char*> sizes = {"S", "M", "L", "XL"};

  std::vector<Product> products;
  for (const auto& d : designs) {
    Product p;
    p.product_id = d.id;
    p.name = d.name;
    p.description = d.description;
    p.category = "t-shirts";
    p.price_cents = d.price_cents;
    p.currency = "EUR";
    p.image = std::string("/images/") + d.id + "-" + d.colours.front().code + ".svg";
    for (const auto& colour : d.colours) {
      for (const char* size : sizes) {
        p.skus.push_back(Sku{std::string(d.id) + "-" + size + "-" + colour.code, size, colour.name});
      }
    }
    products.push_back(std::move(p));
  }
  return products;
}

}  // namespace shop
