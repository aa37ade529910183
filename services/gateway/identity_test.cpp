#include "gateway/identity.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace velocity::gateway {
namespace {

using Status = Authentication::Status;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("gateway-identity-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    // Keys as the users service makes them; the gateway reads only the public half.
    const config::Env no_env([](std::string_view) { return std::optional<std::string>(); });
    auto signing = shop::load_signing_keys(dir_, no_env);
    ASSERT_TRUE(signing) << signing.error().message();
    signing_ = *signing;
    auto verifying = shop::load_verifying_key(dir_, no_env);
    ASSERT_TRUE(verifying) << verifying.error().message();
    verifying_ = *verifying;
    EXPECT_TRUE(verifying_.secret_key.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  shop::SessionKeys signing_;
  shop::SessionKeys verifying_;
};

TEST(BearerToken, ReadsTheBearerSchemeInAnyCase) {
  EXPECT_EQ(bearer_token("Bearer abc.def"), "abc.def");
  EXPECT_EQ(bearer_token("bearer   abc "), "abc");
  EXPECT_EQ(bearer_token("BEARER abc"), "abc");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token("Basic dXNlcjpwdw=="), std::nullopt);
  EXPECT_EQ(bearer_token("Bearerabc"), std::nullopt);
  EXPECT_EQ(bearer_token(""), std::nullopt);
}

TEST_F(IdentityTest, ValidTokenNamesTheCustomer) {
  const auto now = std::chrono::system_clock::now();
  const std::string token = shop::issue_token(signing_, "cust-42", std::chrono::hours(1), now);
  const Authentication auth = authenticate(verifying_, token, now);
  EXPECT_EQ(auth.status, Status::kCustomer);
  EXPECT_EQ(auth.customer_id, "cust-42");
  EXPECT_GT(auth.expires, now);
}

TEST_F(IdentityTest, ExpiredTokenIsSessionExpired) {
  const auto then = std::chrono::system_clock::now() - std::chrono::hours(2);
  const std::string token = shop::issue_token(signing_, "cust-42", std::chrono::hours(1), then);
  EXPECT_EQ(authenticate(verifying_, token).status, Status::kExpired);
  const auto body = nlohmann::json::parse(rejection_body(Status::kExpired));
  EXPECT_EQ(body["code"], "session_expired");
  EXPECT_EQ(body["error"], "your session has expired, please sign in again");
}

TEST_F(IdentityTest, ForgedOrMalformedTokensAreInvalid) {
  const std::string token = shop::issue_token(signing_, "cust-42", std::chrono::hours(1));
  std::string forged = token;
  forged[5] = forged[5] == 'A' ? 'B' : 'A';  // a changed claim no longer matches the signature
  EXPECT_EQ(authenticate(verifying_, forged).status, Status::kInvalid);

  const auto other_dir = dir_ / "other";
  const config::Env no_env([](std::string_view) { return std::optional<std::string>(); });
  auto other = shop::load_signing_keys(other_dir, no_env);
  ASSERT_TRUE(other);
  EXPECT_EQ(
      authenticate(verifying_, shop::issue_token(*other, "cust-42", std::chrono::hours(1))).status,
      Status::kInvalid)
      << "signed with somebody else's key";
  for (const std::string& bad :
       std::vector<std::string>{"", "garbage", "v1.", "v1.abc.def", "v2." + token.substr(3)}) {
    EXPECT_EQ(authenticate(verifying_, bad).status, Status::kInvalid) << bad;
  }
  EXPECT_EQ(nlohmann::json::parse(rejection_body(Status::kInvalid))["code"], "invalid_token");
}

TEST_F(IdentityTest, NoTokenIsAnonymous) {
  EXPECT_EQ(authenticate(verifying_, std::nullopt).status, Status::kAnonymous);
}

TEST_F(IdentityTest, CustomerIdThatCouldInjectHeadersIsInvalid) {
  const std::string token =
      shop::issue_token(signing_, "cust\r\nX-Velocity-Edge-Key: x", std::chrono::hours(1));
  EXPECT_EQ(authenticate(verifying_, token).status, Status::kInvalid);
}

}  // namespace
}  // namespace velocity::gateway
