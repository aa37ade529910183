// The fields of an account as customers type them: email normalisation and shape, character
// counts of names and passwords, and the postal address. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "shop/events.h"
#include "velocity/result.h"

namespace users {

// Which input is at fault and why, in words for the customer.
struct FieldError {
  std::string field;
  std::string message;
};

inline constexpr size_t kMinPasswordCharacters = 8;
inline constexpr size_t kMaxPasswordCharacters = 1000;  // bounds the hashing work per request
inline constexpr size_t kMaxNameCharacters = 100;
inline constexpr size_t kMaxAddressFieldCharacters = 200;

// Trimmed of surrounding whitespace and in lower case, so one mailbox is one account.
std::string normalise_email(std::string_view email);
// Whether a normalised email has the shape local@domain.tld (no spaces, one '@', ≤ 254 bytes).
bool is_valid_email(std::string_view email);
// Unicode code points in valid UTF-8 (the JSON parser has already rejected invalid UTF-8).
size_t count_characters(std::string_view utf8);
std::string trim(std::string_view text);

// The value of `body[field]` checked as an email / name / password; `field` names the error.
std::expected<std::string, FieldError> read_email(const nlohmann::json& body,
                                                  std::string_view field);
std::expected<std::string, FieldError> read_name(const nlohmann::json& body,
                                                 std::string_view field);
std::expected<std::string, FieldError> read_password(const nlohmann::json& body,
                                                     std::string_view field);
// `{line1, line2, city, postcode, country}`, every part optional, each a string of at most
// kMaxAddressFieldCharacters; errors name the part ("address.city").
std::expected<shop::Address, FieldError> read_address(const nlohmann::json& value);

}  // namespace users
