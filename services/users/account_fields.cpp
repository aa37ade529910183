#include "users/account_fields.h"

#include <algorithm>
#include <cctype>

namespace users {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A domain label: letters, digits, hyphens (not at either end), or any non-ASCII byte so that
// internationalised domains are accepted as typed.
bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
    return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u) || c == '-';
  });
}

std::expected<std::string, FieldError> read_string(const nlohmann::json& body,
                                                   std::string_view field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null())
    return std::unexpected(FieldError{std::string(field), std::string(field) + " is required"});
  if (!it->is_string())
    return std::unexpected(
        FieldError{std::string(field), std::string(field) + " must be a string"});
  return it->get<std::string>();
}

}  // namespace

std::string trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::string normalise_email(std::string_view email) {
  std::string out = trim(email);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

bool is_valid_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254 || has_control_characters(email)) return false;
  const auto at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return false;
  const auto local = email.substr(0, at);
  const auto domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  constexpr std::string_view kForbidden = " \"(),:;<>[\\]";
  if (local.find_first_of(kForbidden) != std::string_view::npos) return false;
  if (domain.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  while (start <= domain.size()) {
    const auto dot = domain.find('.', start);
    const auto label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_valid_label(label)) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

size_t count_characters(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::expected<std::string, FieldError> read_email(const nlohmann::json& body,
                                                  std::string_view field) {
  auto raw = read_string(body, field);
  if (!raw) return std::unexpected(raw.error());
  auto email = normalise_email(*raw);
  if (!is_valid_email(email)) {
    return std::unexpected(FieldError{std::string(field), "email must look like name@example.com"});
  }
  return email;
}

std::expected<std::string, FieldError> read_name(const nlohmann::json& body,
                                                 std::string_view field) {
  auto raw = read_string(body, field);
  if (!raw) return std::unexpected(raw.error());
  auto name = trim(*raw);
  const auto characters = count_characters(name);
  if (characters < 1 || characters > kMaxNameCharacters || has_control_characters(name)) {
    return std::unexpected(
        FieldError{std::string(field),
                   "name must be 1 to " + std::to_string(kMaxNameCharacters) + " characters"});
  }
  return name;
}

std::expected<std::string, FieldError> read_password(const nlohmann::json& body,
                                                     std::string_view field) {
  auto password = read_string(body, field);
  if (!password) return std::unexpected(password.error());
  const auto characters = count_characters(*password);
  if (characters < kMinPasswordCharacters || characters > kMaxPasswordCharacters) {
    return std::unexpected(FieldError{
        std::string(field), "password must be " + std::to_string(kMinPasswordCharacters) + " to " +
                                std::to_string(kMaxPasswordCharacters) + " characters"});
  }
  return password;
}

std::expected<shop::Address, FieldError> read_address(const nlohmann::json& value) {
  if (!value.is_object())
    return std::unexpected(FieldError{"address", "address must be an object"});
  shop::Address address;
  const std::pair<const char*, std::string*> parts[] = {{"line1", &address.line1},
                                                        {"line2", &address.line2},
                                                        {"city", &address.city},
                                                        {"postcode", &address.postcode},
                                                        {"country", &address.country}};
  for (const auto& [name, target] : parts) {
    const std::string field = std::string("address.") + name;
    const auto it = value.find(name);
    if (it == value.end() || it->is_null()) continue;
    if (!it->is_string()) return std::unexpected(FieldError{field, field + " must be a string"});
    auto text = trim(it->get<std::string>());
    if (count_characters(text) > kMaxAddressFieldCharacters || has_control_characters(text)) {
      return std::unexpected(FieldError{field, field + " must be at most " +
                                                   std::to_string(kMaxAddressFieldCharacters) +
                                                   " characters"});
    }
    *target = std::move(text);
  }
  return address;
}

}  // namespace users
