#include "payments/card.h"

#include <gtest/gtest.h>

namespace payments {
namespace {

TEST(CardTest, AnyOtherNumberOf12To19DigitsIsAuthorisedAndSpacesAreIgnored) {
  const auto decision = authorize_card("4242 4242 4242 4242");
  EXPECT_TRUE(decision.authorized);
  EXPECT_EQ(decision.reason, "");
  EXPECT_EQ(decision.last4, "4242");
  EXPECT_TRUE(authorize_card("123456789012").authorized);
  EXPECT_TRUE(authorize_card("1234567890123456789").authorized);
}

TEST(CardTest, TheTestCardsDeclineWithTheirReasons) {
  EXPECT_EQ(authorize_card("4000 0000 0000 0002").reason, "Your card was declined.");
  EXPECT_EQ(authorize_card("4000000000009995").reason, "Insufficient funds.");
  const auto expired = authorize_card("4000 0000 0000 0069");
  EXPECT_FALSE(expired.authorized);
  EXPECT_EQ(expired.reason, "Your card has expired.");
  EXPECT_EQ(expired.last4, "0069");
}

TEST(CardTest, ANumberThatIsNotACardNumberDeclines) {
  for (const auto* number :
       {"12345678901", "12345678901234567890", "4242-4242-4242-4242", "", "abcd efgh ijkl"}) {
    const auto decision = authorize_card(number);
    EXPECT_FALSE(decision.authorized) << number;
    EXPECT_EQ(decision.reason, "Your card number is not valid.") << number;
  }
  EXPECT_EQ(authorize_card("4242-4242-4242-4242").last4, "");
}

}  // namespace
}  // namespace payments
