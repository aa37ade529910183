// The users service: customer accounts (argon2id password hashes, normalised unique emails,
// profiles with a postal address) and session tokens signed with the store's Ed25519 key.
// Serves /api/users/… (docs/api.md), consumes nothing, publishes UserRegistered, UserLoggedIn
// and ProfileUpdated on shop.users in the same transaction as the write that causes them.
#pragma once

#include <chrono>

#include "velocity/config.h"
#include "velocity/result.h"
#include "velocity/service.h"

namespace users {

struct UsersOptions {
  std::chrono::seconds session_ttl = std::chrono::hours(24);  // VELOCITY_SESSION_TTL

  [[nodiscard]] static velocity::Result<UsersOptions> from_env(
      const velocity::config::Env& env = {});
};

// Registers the schema and the routes on `service` (before it starts). Reads the options and
// the session signing keys (VELOCITY_SESSION_SECRET_KEY, else <data>/session.key) from `env`.
[[nodiscard]] velocity::Result<void> install(velocity::Service& service,
                                             const velocity::config::Env& env = {});

}  // namespace users
