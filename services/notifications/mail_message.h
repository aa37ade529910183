// An email as it travels: the envelope (sender and recipient addresses) and the Internet
// Message Format (RFC 5322) text rendered from a plain-text UTF-8 body. Pure functions,
// thread-safe as values are.
//
// Rendering rules: CRLF line ends everywhere; header text that is not printable ASCII becomes
// RFC 2047 encoded words (UTF-8, base64); control characters in header text are replaced by
// spaces, so no value taken from an event can add a header; the body is quoted-printable
// (7-bit safe on any SMTP server, readable where it is ASCII).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace notifications {

struct MailMessage {
  std::string message_id;  // unique, without angle brackets: "eml_…@velocity.local"
  std::string from_address;
  std::string from_name;
  std::string to_address;
  std::string to_name;
  std::string subject;
  std::string body;  // UTF-8 plain text, lines ended by '\n'
  std::chrono::system_clock::time_point date;
};

// The complete message: headers (From, To, Subject, Date, Message-ID, MIME-Version,
// Content-Type, Content-Transfer-Encoding), an empty line, the encoded body.
std::string render(const MailMessage& message);

// Whether `address` is a plain addr-spec we are willing to put in a header and an SMTP
// command: one '@' with a non-empty local part and domain, no spaces, controls or
// characters that would end an address ("<>()[],;:\"\\").
bool is_valid_address(std::string_view address);

// The domain of an address ("velocity.local"), or "localhost" when it has none.
std::string_view domain_of(std::string_view address);

// Building blocks of render(), exposed for tests.
std::string encode_header_text(std::string_view text);                        // Subject
std::string format_mailbox(std::string_view name, std::string_view address);  // From, To
std::string format_date(std::chrono::system_clock::time_point time);          // RFC 5322 date
std::string encode_quoted_printable(std::string_view text);

}  // namespace notifications
