#include "shop/session_token.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace shop {
namespace {

using namespace std::chrono_literals;

class SessionTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-session-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  velocity::config::Env no_env_{[](std::string_view) { return std::optional<std::string>(); }};
  std::filesystem::path dir_;
};

TEST_F(SessionTokenTest, ATokenIssuedWithTheSecretKeyVerifiesWithThePublicKeyAlone) {
  auto signing = load_signing_keys(dir_, no_env_);
  ASSERT_TRUE(signing) << signing.error().message();
  auto verifying = load_verifying_key(dir_, no_env_);
  ASSERT_TRUE(verifying) << verifying.error().message();
  EXPECT_TRUE(verifying->secret_key.empty());
  EXPECT_EQ(verifying->public_key, signing->public_key);

  const auto now = std::chrono::system_clock::now();
  const auto token = issue_token(*signing, "c-42", 3600s, now);
  auto claims = verify_token(*verifying, token, now + 10s);
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->customer_id, "c-42");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(claims->expires - claims->issued), 3600s);
}

TEST_F(SessionTokenTest, KeysPersistAcrossLoads) {
  auto first = load_signing_keys(dir_, no_env_);
  auto second = load_signing_keys(dir_, no_env_);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->secret_key, second->secret_key);
  EXPECT_EQ(first->public_key.size(), 32u);
}

TEST_F(SessionTokenTest, AnExpiredTokenIsRejectedAsExpired) {
  auto keys = load_signing_keys(dir_, no_env_);
  ASSERT_TRUE(keys);
  const auto now = std::chrono::system_clock::now();
  const auto token = issue_token(*keys, "c-1", 60s, now);
  auto claims = verify_token(*keys, token, now + 61s);
  ASSERT_FALSE(claims);
  EXPECT_EQ(claims.error().code, velocity::ErrorCode::kTimeout);
}

TEST_F(SessionTokenTest, TamperedOrForeignTokensAreRejected) {
  auto keys = load_signing_keys(dir_, no_env_);
  ASSERT_TRUE(keys);
  const auto token = issue_token(*keys, "c-1", 60s);

  // Another key pair's token does not verify.
  const auto other_dir = dir_ / "other";
  auto other = load_signing_keys(other_dir, no_env_);
  ASSERT_TRUE(other);
  EXPECT_FALSE(verify_token(*keys, issue_token(*other, "c-1", 60s)));

  // Changing any character of the claims breaks the signature.
  std::string tampered = token;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_token(*keys, tampered));

  for (const char* bad : {"", "v1.", "v1..", "garbage", "v2.abc.def", "v1.abc.!!!"}) {
    auto result = verify_token(*keys, bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code, velocity::ErrorCode::kInvalidArgument) << bad;
  }
}

TEST_F(SessionTokenTest, KeysFromTheEnvironmentWinAndBadHexIsAClearError) {
  auto file_keys = load_signing_keys(dir_, no_env_);
  ASSERT_TRUE(file_keys);
  velocity::config::Env bad([](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_SESSION_PUBLIC_KEY") return "not-hex";
    return std::nullopt;
  });
  auto result = load_verifying_key(dir_, bad);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("VELOCITY_SESSION_PUBLIC_KEY"), std::string::npos);
}

}  // namespace
}  // namespace shop
