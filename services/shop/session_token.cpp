#include "shop/session_token.h"

#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace shop {
namespace {

using velocity::ErrorCode;
using velocity::fail;
using velocity::Result;

constexpr std::string_view kVersion = "v1.";

std::string to_base64url(std::string_view raw) {
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &length, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::string to_hex(std::string_view raw) {
  std::string hex(raw.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  hex.pop_back();
  return hex;
}

Result<std::string> from_hex(std::string_view hex, size_t bytes, std::string_view what) {
  std::string raw(bytes, '\0');
  size_t length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), hex.data(), hex.size(), nullptr,
                     &length, nullptr) != 0 ||
      length != bytes) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " must be " + std::to_string(bytes * 2) + " hexadecimal digits");
  }
  return raw;
}

Result<std::string> read_hex_file(const std::filesystem::path& path, size_t bytes) {
  std::ifstream in(path);
  std::string hex;
  if (!(in >> hex)) return fail(ErrorCode::kNotFound, "cannot read " + path.string());
  return from_hex(hex, bytes, path.string());
}

Result<void> init_sodium() {
  if (sodium_init() < 0) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  return {};
}

// Writes a new key pair unless one exists. The secret key file is linked into place last, so a
// reader that finds it also finds the public key.
Result<void> create_key_files(const std::filesystem::path& data_dir) {
  const auto secret_path = data_dir / "session.key";
  const auto public_path = data_dir / "session.pub";
  if (std::filesystem::exists(secret_path)) return {};
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return fail(ErrorCode::kIo, "create " + data_dir.string() + ": " + ec.message());
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  const std::string suffix = "." + std::to_string(::getpid());
  const auto temp_secret = data_dir / ("session.key" + suffix);
  const auto temp_public = data_dir / ("session.pub" + suffix);
  {
    std::ofstream out(temp_secret, std::ios::trunc);
    out << to_hex(std::string_view(reinterpret_cast<char*>(sk), sizeof sk)) << '\n';
    std::ofstream pub(temp_public, std::ios::trunc);
    pub << to_hex(std::string_view(reinterpret_cast<char*>(pk), sizeof pk)) << '\n';
    if (!out || !pub) return fail(ErrorCode::kIo, "write session keys in " + data_dir.string());
  }
  sodium_memzero(sk, sizeof sk);
  std::filesystem::permissions(temp_secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               ec);
  // Another process may win the race: then both temporary files go, and its keys stand.
  if (::link(temp_secret.c_str(), secret_path.c_str()) == 0) {
    std::filesystem::rename(temp_public, public_path, ec);
    if (ec) return fail(ErrorCode::kIo, "write " + public_path.string() + ": " + ec.message());
  } else if (errno != EEXIST) {
    return fail(ErrorCode::kIo, "create " + secret_path.string() + ": " + std::strerror(errno));
  }
  std::filesystem::remove(temp_secret, ec);
  std::filesystem::remove(temp_public, ec);
  return {};
}

}  // namespace

Result<SessionKeys> load_signing_keys(const std::filesystem::path& data_dir, const velocity::config::Env& env) {
  if (auto ok = init_sodium(); !ok) return std::unexpected(ok.error());
  auto secret_hex = env.string("VELOCITY_SESSION_SECRET_KEY", "");
  if (!secret_hex) return std::unexpected(secret_hex.error());
  SessionKeys keys;
  if (!secret_hex->empty()) {
    auto secret = from_hex(*secret_hex, crypto_sign_SECRETKEYBYTES, "VELOCITY_SESSION_SECRET_KEY");
    if (!secret) return std::unexpected(secret.error());
    keys.secret_key = std::move(*secret);
  } else {
    if (auto made = create_key_files(data_dir); !made) return std::unexpected(made.error());
    auto secret = read_hex_file(data_dir / "session.key", crypto_sign_SECRETKEYBYTES);
    if (!secret) return std::unexpected(secret.error());
    keys.secret_key = std::move(*secret);
  }
  keys.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(keys.public_key.data()),
                               reinterpret_cast<const unsigned char*>(keys.secret_key.data()));
  return keys;
}

Result<SessionKeys> load_verifying_key(const std::filesystem::path& data_dir, const velocity::config::Env& env) {
  if (auto ok = init_sodium(); !ok) return std::unexpected(ok.error());
  auto public_hex = env.string("VELOCITY_SESSION_PUBLIC_KEY", "");
  if (!public_hex) return std::unexpected(public_hex.error());
  SessionKeys keys;
  if (!public_hex->empty()) {
    auto key = from_hex(*public_hex, crypto_sign_PUBLICKEYBYTES, "VELOCITY_SESSION_PUBLIC_KEY");
    if (!key) return std::unexpected(key.error());
    keys.public_key = std::move(*key);
    return keys;
  }
  if (auto made = create_key_files(data_dir); !made) return std::unexpected(made.error());
  auto key = read_hex_file(data_dir / "session.pub", crypto_sign_PUBLICKEYBYTES);
  if (!key) return std::unexpected(key.error());
  keys.public_key = std::move(*key);
  return keys;
}

std::string issue_token(const SessionKeys& keys, std::string_view customer_id, std::chrono::seconds ttl,
                        std::chrono::system_clock::time_point now) {
  const auto issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const nlohmann::json claims{{"sub", customer_id}, {"iat", issued}, {"exp", issued + ttl.count()}};
  std::string signed_part = std::string(kVersion) + to_base64url(claims.dump());
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size(), reinterpret_cast<const unsigned char*>(keys.secret_key.data()));
  return signed_part + "." + to_base64url(std::string_view(reinterpret_cast<char*>(signature), sizeof signature));
}

Result<SessionClaims> verify_token(const SessionKeys& keys, std::string_view token,
                                   std::chrono::system_clock::time_point now) {
  if (keys.public_key.size() != crypto_sign_PUBLICKEYBYTES)
    return fail(ErrorCode::kInternal, "no session verification key");
  if (!token.starts_with(kVersion)) return fail(ErrorCode::kInvalidArgument, "session token: unknown format");
  const auto dot = token.rfind('.');
  if (dot <= kVersion.size()) return fail(ErrorCode::kInvalidArgument, "session token: malformed");
  const std::string_view signed_part = token.substr(0, dot);
  const auto signature = from_base64url(token.substr(dot + 1));
  if (!signature || signature->size() != crypto_sign_BYTES)
    return fail(ErrorCode::kInvalidArgument, "session token: malformed signature");
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()),
                                  reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
                                  reinterpret_cast<const unsigned char*>(keys.public_key.data())) != 0) {
    return fail(ErrorCode::kInvalidArgument, "session token: signature does not verify");
  }
  const auto payload = from_base64url(signed_part.substr(kVersion.size()));
  if (!payload) return fail(ErrorCode::kInvalidArgument, "session token: malformed claims");
  const auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (claims.is_discarded() || !claims.is_object() || !claims.contains("sub") || !claims["sub"].is_string() ||
      !claims.contains("exp") || !claims["exp"].is_number_integer() || !claims.contains("iat") ||
      !claims["iat"].is_number_integer()) {
    return fail(ErrorCode::kInvalidArgument, "session token: malformed claims");
  }
  SessionClaims out;
  out.customer_id = claims["sub"].get<std::string>();
  out.issued = std::chrono::system_clock::time_point(std::chrono::seconds(claims["iat"].get<int64_t>()));
  out.expires = std::chrono::system_clock::time_point(std::chrono::seconds(claims["exp"].get<int64_t>()));
  if (now >= out.expires) return fail(ErrorCode::kTimeout, "session token: expired");
  return out;
}

}  // namespace shop
