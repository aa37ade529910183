#include "orders/checkout_request.h"

#include <gtest/gtest.h>

namespace orders {
namespace {

nlohmann::json valid() {
  return {{"lines", {{{"sku", "tee-classic-M-blk"}, {"quantity", 2}, {"unit_price_cents", 2500}}}},
          {"card", {{"number", "4242 4242 4242 4242"}, {"holder", "Ada"}}},
          {"ship_to",
           {{"line1", "1 Road"}, {"city", "Leeds"}, {"postcode", "LS1"}, {"country", "GB"}}}};
}

std::string field_of(const nlohmann::json& body) {
  auto parsed = parse_checkout(body);
  EXPECT_FALSE(parsed) << body.dump();
  return parsed ? "" : parsed.error().field;
}

TEST(CheckoutRequestTest, AValidBodyParsesWithTheCardNumberReducedToItsDigits) {
  auto parsed = parse_checkout(valid());
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->lines.size(), 1u);
  EXPECT_EQ(parsed->lines[0].sku, "tee-classic-M-blk");
  EXPECT_EQ(parsed->lines[0].quantity, 2);
  EXPECT_EQ(parsed->lines[0].unit_price_cents, 2500);
  EXPECT_EQ(parsed->card.number, "4242424242424242");
  EXPECT_EQ(parsed->card.holder, "Ada");
  EXPECT_EQ(parsed->ship_to.city, "Leeds");
  EXPECT_EQ(parsed->ship_to.line2, "");
}

TEST(CheckoutRequestTest, EachInvalidInputIsNamedByItsField) {
  auto body = valid();
  body["lines"][0]["quantity"] = 100;
  EXPECT_EQ(field_of(body), "lines[0].quantity");
  body = valid();
  body["lines"][0]["quantity"] = 1.5;
  EXPECT_EQ(field_of(body), "lines[0].quantity");
  body = valid();
  body["lines"][0]["unit_price_cents"] = -1;
  EXPECT_EQ(field_of(body), "lines[0].unit_price_cents");
  body = valid();
  body["lines"][0].erase("sku");
  EXPECT_EQ(field_of(body), "lines[0].sku");
  body = valid();
  body["lines"].push_back(body["lines"][0]);
  EXPECT_EQ(field_of(body), "lines[1].sku");  // the same sku twice
  body = valid();
  body["lines"] = "tee";
  EXPECT_EQ(field_of(body), "lines");
  body = valid();
  body["card"]["number"] = 4242424242424242;
  EXPECT_EQ(field_of(body), "card.number");
  body = valid();
  body["card"]["holder"] = 7;
  EXPECT_EQ(field_of(body), "card.holder");
  body = valid();
  body["ship_to"]["country"] = " ";
  EXPECT_EQ(field_of(body), "ship_to.country");
  body = valid();
  body["ship_to"]["postcode"] = std::string(201, '9');
  EXPECT_EQ(field_of(body), "ship_to.postcode");
}

TEST(CheckoutRequestTest, ACardNumberIs12To19DigitsWithOptionalSpaces) {
  EXPECT_EQ(card_digits("4000 0000 0000 0002"), "4000000000000002");
  EXPECT_EQ(card_digits("123456789012"), "123456789012");
  EXPECT_EQ(card_digits("1234567890123456789"), "1234567890123456789");
  EXPECT_EQ(card_digits("12345678901"), "");
  EXPECT_EQ(card_digits("12345678901234567890"), "");
  EXPECT_EQ(card_digits("4242-4242-4242-4242"), "");
  EXPECT_EQ(card_digits(""), "");
}

}  // namespace
}  // namespace orders
