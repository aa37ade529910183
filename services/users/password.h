// Password hashes: argon2id through libsodium's crypto_pwhash_str with the INTERACTIVE limits,
// stored in the self-describing PHC string form ($argon2id$v=19$m=...,t=...,p=...$salt$hash),
// so a later change of limits still verifies old hashes. Thread-safe; each call allocates the
// hash's memory (64 MiB) for its duration. sodium_init() must have run.
#pragma once

#include <string>
#include <string_view>

#include "velocity/result.h"

namespace users {

[[nodiscard]] velocity::Result<std::string> hash_password(std::string_view password);
// Whether `password` matches `hash`; a malformed hash never matches.
bool verify_password(std::string_view hash, std::string_view password);

}  // namespace users
