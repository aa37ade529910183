// Who is calling: the gateway checks a browser's session token itself, with the users
// service's public key alone (shop/session_token.h), and turns the answer into the identity it
// forwards or the 401 it gives instead. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "shop/session_token.h"

namespace velocity::gateway {

struct Authentication {
  enum class Status {
    kAnonymous,  // no token: forwarded without identity
    kCustomer,   // a valid token: forwarded with the customer and the edge key
    kExpired,    // 401 session_expired
    kInvalid,    // malformed or forged: 401 invalid_token
  };
  Status status = Status::kAnonymous;
  std::string customer_id;                          // kCustomer
  std::chrono::system_clock::time_point expires{};  // kCustomer
};

// The token of an `Authorization: Bearer <token>` header (scheme in any case); nullopt for no
// header or another scheme. "Bearer" with nothing after it yields an empty token (invalid).
std::optional<std::string> bearer_token(std::string_view authorization);

// Checks `token` (nullopt: none was sent).
Authentication authenticate(
    const shop::SessionKeys& keys, const std::optional<std::string>& token,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The JSON body of the 401 for kExpired or kInvalid:
// {"error": "<plain words>", "code": "session_expired" | "invalid_token"}.
std::string rejection_body(Authentication::Status status);

}  // namespace velocity::gateway
