// Session tokens: users signs them with an Ed25519 secret key, the gateway verifies them with
// the public key alone, so checking a session never needs a call to users.
//
//   token = "v1." base64url(claims JSON) "." base64url(signature over "v1." base64url(claims))
//   claims = {"sub": customer id, "iat": issued (unix s), "exp": expires (unix s)}
//
// Keys: VELOCITY_SESSION_SECRET_KEY / VELOCITY_SESSION_PUBLIC_KEY (hex), else the files
// <data>/session.key and <data>/session.pub, created by whichever process needs them first.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "velocity/config.h"
#include "velocity/result.h"

namespace shop {

struct SessionKeys {
  std::string public_key;  // 32 raw bytes
  std::string secret_key;  // 64 raw bytes; empty where only verification is needed
};

struct SessionClaims {
  std::string customer_id;
  std::chrono::system_clock::time_point issued;
  std::chrono::system_clock::time_point expires;
};

// The signing keys (users), from the environment or the data directory, creating them if absent.
[[nodiscard]] velocity::Result<SessionKeys> load_signing_keys(const std::filesystem::path& data_dir,
                                                              const velocity::config::Env& env = {});
// The public key alone (the gateway), from the environment or the data directory.
[[nodiscard]] velocity::Result<SessionKeys> load_verifying_key(const std::filesystem::path& data_dir,
                                                               const velocity::config::Env& env = {});

std::string issue_token(const SessionKeys& keys, std::string_view customer_id, std::chrono::seconds ttl,
                        std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The claims of a well-formed, correctly signed, unexpired token; otherwise an error saying
// which of those it is not (kInvalidArgument: malformed or forged, kTimeout: expired).
[[nodiscard]] velocity::Result<SessionClaims> verify_token(
    const SessionKeys& keys, std::string_view token,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace shop
