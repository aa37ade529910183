#include "gateway/identity.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace velocity::gateway {

std::optional<std::string> bearer_token(std::string_view authorization) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  authorization = trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() < kScheme.size()) return std::nullopt;
  const bool is_bearer = std::ranges::equal(
      authorization.substr(0, kScheme.size()), kScheme,
      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  if (!is_bearer) return std::nullopt;
  const std::string_view rest = authorization.substr(kScheme.size());
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t')
    return std::nullopt;  // "Bearerx"
  return std::string(trim(rest));
}

Authentication authenticate(const shop::SessionKeys& keys, const std::optional<std::string>& token,
                            std::chrono::system_clock::time_point now) {
  using Status = Authentication::Status;
  if (!token) return {};
  auto claims = shop::verify_token(keys, *token, now);
  if (!claims) {
    return {
        claims.error().code == ErrorCode::kTimeout ? Status::kExpired : Status::kInvalid, {}, {}};
  }
  // The id becomes a header value: one with control characters would let a signed token
  // smuggle headers to a service.
  const bool printable = std::ranges::none_of(
      claims->customer_id, [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  if (claims->customer_id.empty() || !printable) return {Status::kInvalid, {}, {}};
  return {Status::kCustomer, claims->customer_id, claims->expires};
}

std::string rejection_body(Authentication::Status status) {
  if (status == Authentication::Status::kExpired) {
    return nlohmann::json{{"error", "your session has expired, please sign in again"},
                          {"code", "session_expired"}}
        .dump();
  }
  return nlohmann::json{{"error", "your session is not valid, please sign in again"},
                        {"code", "invalid_token"}}
      .dump();
}

}  // namespace velocity::gateway
