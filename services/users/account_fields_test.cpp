#include "users/account_fields.h"

#include <gtest/gtest.h>

namespace users {
namespace {

TEST(AccountFields, AnEmailIsTrimmedAndLowerCased) {
  EXPECT_EQ(normalise_email("  Ada.Lovelace@Example.COM\t"), "ada.lovelace@example.com");
}

TEST(AccountFields, EmailShapesAreCheckedLocalAtDomainDotTld) {
  for (const char* good :
       {"a@b.co", "ada.lovelace+shop@example.co.uk", "x_y@mail-server.example"}) {
    EXPECT_TRUE(is_valid_email(good)) << good;
  }
  for (const char* bad :
       {"", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "a@b@c.com",
        "ada lovelace@example.com", "ada@.example.com", "ada@example..com", ".ada@example.com",
        "ada@-example.com", "ada<x>@example.com"}) {
    EXPECT_FALSE(is_valid_email(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_email(std::string(250, 'a') + "@b.co"));
}

TEST(AccountFields, CharactersAreCountedAsCodePointsNotBytes) {
  EXPECT_EQ(count_characters("Zoë"), 3u);
  EXPECT_EQ(count_characters("日本語"), 3u);
  EXPECT_EQ(count_characters(""), 0u);
}

TEST(AccountFields, APasswordOfEightMultiByteCharactersIsLongEnough) {
  EXPECT_TRUE(read_password({{"password", "ééééééé€"}}, "password"));
  auto short_one = read_password({{"password", "ééé"}}, "password");
  ASSERT_FALSE(short_one);
  EXPECT_EQ(short_one.error().field, "password");
}

TEST(AccountFields, ANameIsTrimmedAndMustKeepAtLeastOneCharacter) {
  auto name = read_name({{"name", "  Ada  "}}, "name");
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "Ada");
  EXPECT_FALSE(read_name({{"name", " \t "}}, "name"));
  EXPECT_FALSE(read_name({{"name", "Ada\nLovelace"}}, "name"));
  EXPECT_FALSE(read_name({{"name", nullptr}}, "name"));
}

TEST(AccountFields, AnAddressTakesKnownPartsAndNamesTheBadOne) {
  auto address = read_address({{"line1", " 1 Main St "}, {"country", "NL"}, {"unknown", 1}});
  ASSERT_TRUE(address);
  EXPECT_EQ(address->line1, "1 Main St");
  EXPECT_EQ(address->country, "NL");
  EXPECT_EQ(address->city, "");
  auto bad = read_address({{"postcode", std::string(201, '9')}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "address.postcode");
  EXPECT_EQ(read_address(nlohmann::json::array()).error().field, "address");
}

}  // namespace
}  // namespace users
