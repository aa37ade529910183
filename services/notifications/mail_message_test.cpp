#include "notifications/mail_message.h"

#include <gtest/gtest.h>

#include "notifications/mail_templates.h"
#include "notifications/test_support.h"

namespace notifications {
namespace {

MailMessage sample() {
  MailMessage m;
  m.message_id = "eml_1@velocity.local";
  m.from_address = "shop@velocity.local";
  m.from_name = "Velocity Shop";
  m.to_address = "ada@example.com";
  m.to_name = "Ada Lovelace";
  m.subject = "Your order ord_1 is confirmed";
  m.body = "Hello Ada,\n\nTotal: €29.90\n";
  m.date = std::chrono::system_clock::time_point(
      std::chrono::seconds(1714566600));  // 2024-05-01 12:30 UTC
  return m;
}

TEST(MailMessage, RendersEveryHeaderThenABlankLineThenTheBodyWithCrlfLineEnds) {
  const auto text = render(sample());
  EXPECT_EQ(text.substr(0, text.find("\r\n\r\n") + 2),
            "From: Velocity Shop <shop@velocity.local>\r\n"
            "To: Ada Lovelace <ada@example.com>\r\n"
            "Subject: Your order ord_1 is confirmed\r\n"
            "Date: Wed, 01 May 2024 12:30:00 +0000\r\n"
            "Message-ID: <eml_1@velocity.local>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n");
  const auto body = text.substr(text.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "Hello Ada,\r\n\r\nTotal: =E2=82=AC29.90\r\n");
  EXPECT_EQ(testing::decode_quoted_printable(body), sample().body);
  // Nothing but CRLF ends a line.
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      EXPECT_EQ(text[i - 1], '\r') << "bare LF at " << i;
    }
  }
}

TEST(MailMessage, NonAsciiSubjectsAndNamesBecomeEncodedWords) {
  EXPECT_EQ(encode_header_text("Café"), "=?UTF-8?B?Q2Fmw6k=?=");
  EXPECT_EQ(format_mailbox("Zoë", "zoe@example.com"), "=?UTF-8?B?Wm/Dqw==?= <zoe@example.com>");
  // A long one is split into several words, never inside a character.
  const std::string long_subject(40, 'x');
  const auto encoded = encode_header_text(long_subject + "ééééé");
  EXPECT_NE(encoded.find("?=\r\n =?UTF-8?B?"), std::string::npos) << encoded;
  for (size_t start = 0; start < encoded.size();) {
    const auto end = encoded.find("\r\n", start);
    EXPECT_LE((end == std::string::npos ? encoded.size() : end) - start, 76u);
    start = end == std::string::npos ? encoded.size() : end + 2;
  }
}

TEST(MailMessage, ValuesFromEventsCannotAddHeaders) {
  auto m = sample();
  m.subject = "Your order ord_1\r\nBcc: eve@example.com is confirmed";
  m.to_name = "Ada\r\nBcc: eve@example.com";
  const auto text = render(m);
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos) << text;
}

TEST(MailMessage, NamesWithSpecialCharactersAreQuoted) {
  EXPECT_EQ(format_mailbox("Ada L.", "ada@example.com"), "\"Ada L.\" <ada@example.com>");
  EXPECT_EQ(format_mailbox("Say \"hi\"", "a@example.com"), "\"Say \\\"hi\\\"\" <a@example.com>");
  EXPECT_EQ(format_mailbox("", "a@example.com"), "<a@example.com>");
}

TEST(MailMessage, QuotedPrintableKeepsLinesShortAndProtectsSpacesAndDots) {
  const std::string long_line(200, 'a');
  const auto encoded = encode_quoted_printable(long_line + "\n.hidden\ntrailing \n");
  for (size_t start = 0; start < encoded.size();) {
    const auto end = encoded.find("\r\n", start);
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
  EXPECT_NE(encoded.find("\r\n=2Ehidden\r\n"), std::string::npos) << encoded;
  EXPECT_NE(encoded.find("trailing=20\r\n"), std::string::npos) << encoded;
  EXPECT_EQ(testing::decode_quoted_printable(encoded), long_line + "\n.hidden\ntrailing \n");
}

TEST(MailMessage, OnlyPlainAddressesAreAccepted) {
  EXPECT_TRUE(is_valid_address("ada@example.com"));
  EXPECT_TRUE(is_valid_address("ada+shop@mail.example.co.uk"));
  EXPECT_FALSE(is_valid_address("ada"));
  EXPECT_FALSE(is_valid_address("@example.com"));
  EXPECT_FALSE(is_valid_address("ada@"));
  EXPECT_FALSE(is_valid_address("ada@ex@ample.com"));
  EXPECT_FALSE(is_valid_address("ada lovelace@example.com"));
  EXPECT_FALSE(is_valid_address("ada@example.com>\r\nBcc: eve@example.com"));
  EXPECT_EQ(domain_of("shop@velocity.local"), "velocity.local");
}

TEST(MailTemplates, MoneyIsWrittenWithItsCurrency) {
  EXPECT_EQ(format_money(2990, "EUR"), "€29.90");
  EXPECT_EQ(format_money(5, "GBP"), "£0.05");
  EXPECT_EQ(format_money(123456, "CHF"), "1234.56 CHF");
  EXPECT_EQ(format_money(-250, "USD"), "-$2.50");
}

TEST(MailTemplates, ACancelWithoutWordsExplainsItsCode) {
  const auto mail =
      order_cancelled_mail("Ada", shop::OrderCancelled{"ord_1", "cus_1", "out_of_stock", ""});
  EXPECT_EQ(mail.subject, "Your order ord_1 was cancelled");
  EXPECT_NE(mail.body.find("Reason: Some of the items were out of stock."), std::string::npos)
      << mail.body;
}

}  // namespace
}  // namespace notifications
