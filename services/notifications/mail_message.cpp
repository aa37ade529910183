#include "notifications/mail_message.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace notifications {
namespace {

// Header text may come from events (names, order ids): controls become spaces so that no
// value can end a header line or start a new one.
std::string without_controls(std::string_view text) {
  std::string clean(text);
  for (char& c : clean) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return clean;
}

bool is_printable_ascii(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// RFC 2047 encoded words of at most 45 bytes of UTF-8 each (72 characters encoded, under the
// limit of 75), cut between characters, folded onto continuation lines.
std::string encoded_words(std::string_view text) {
  constexpr size_t kChunk = 45;
  std::string out;
  while (!text.empty()) {
    size_t take = std::min(kChunk, text.size());
    // Never cut inside a UTF-8 sequence: back up over continuation bytes.
    while (take < text.size() && take > 0 &&
           (static_cast<unsigned char>(text[take]) & 0xC0) == 0x80)
      --take;
    if (take == 0) take = std::min(kChunk, text.size());
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(0, take)) + "?=";
    text.remove_prefix(take);
  }
  return out;
}

// Folds printable ASCII at spaces so that lines stay near 78 characters.
std::string folded(std::string_view text) {
  constexpr size_t kWidth = 68;  // leaves room for the header name on the first line
  std::string out;
  size_t line = 0;
  while (!text.empty()) {
    const size_t space = text.find(' ', 1);
    const std::string_view word = text.substr(0, space);
    if (line > 0 && line + word.size() > kWidth && word.front() == ' ') {
      out += "\r\n";
      line = 0;
    }
    out += word;
    line += word.size();
    text.remove_prefix(word.size());
  }
  return out;
}

bool is_atext_phrase(std::string_view name) {
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == ' ') continue;
    if (std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos) continue;
    return false;
  }
  return true;
}

}  // namespace

bool is_valid_address(std::string_view address) {
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  if (address.size() > 254) return false;
  for (char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
    if (std::string_view("<>()[],;:\"\\").find(c) != std::string_view::npos) return false;
  }
  return true;
}

std::string_view domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at + 1 == address.size()) return "localhost";
  return address.substr(at + 1);
}

std::string encode_header_text(std::string_view text) {
  const std::string clean = without_controls(text);
  if (is_printable_ascii(clean) && clean.find("=?") == std::string::npos) return folded(clean);
  return encoded_words(clean);
}

std::string format_mailbox(std::string_view name, std::string_view address) {
  const std::string clean = without_controls(name);
  const std::string angle = "<" + std::string(address) + ">";
  if (clean.find_first_not_of(' ') == std::string::npos) return angle;
  if (!is_printable_ascii(clean) || clean.find("=?") != std::string::npos) {
    return encoded_words(clean) + " " + angle;
  }
  if (is_atext_phrase(clean)) return clean + " " + angle;
  std::string quoted = "\"";
  for (char c : clean) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\" " + angle;
}

std::string format_date(std::chrono::system_clock::time_point time) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} +0000",
                     kDays[static_cast<size_t>(utc.tm_wday)], utc.tm_mday,
                     kMonths[static_cast<size_t>(utc.tm_mon)], utc.tm_year + 1900, utc.tm_hour,
                     utc.tm_min, utc.tm_sec);
}

std::string encode_quoted_printable(std::string_view text) {
  constexpr size_t kMaxLine = 75;  // plus the '=' of a soft line break: 76, the RFC 2045 limit
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    size_t length = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      std::string token;
      // Spaces at the end of a line would be stripped in transit; a '.' opening a line is
      // encoded so that no transport has to escape it.
      const bool literal = ((byte >= 33 && byte <= 126 && byte != '=') ||
                            ((byte == ' ' || byte == '\t') && !last)) &&
                           !(byte == '.' && length == 0);
      if (literal) {
        token.assign(1, static_cast<char>(byte));
      } else {
        token = {'=', kHex[byte >> 4], kHex[byte & 0x0F]};
      }
      if (length + token.size() > kMaxLine) {
        out += "=\r\n";
        length = 0;
        if (byte == '.') token = "=2E";
      }
      out += token;
      length += token.size();
    }
    out += "\r\n";
  }
  return out;
}

std::string render(const MailMessage& message) {
  std::string out;
  out += "From: " + format_mailbox(message.from_name, message.from_address) + "\r\n";
  out += "To: " + format_mailbox(message.to_name, message.to_address) + "\r\n";
  out += "Subject: " + encode_header_text(message.subject) + "\r\n";
  out += "Date: " + format_date(message.date) + "\r\n";
  out += "Message-ID: <" + without_controls(message.message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  out += encode_quoted_printable(message.body);
  return out;
}

}  // namespace notifications
