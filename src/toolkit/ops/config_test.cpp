#include "velocity/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

namespace velocity::config {
namespace {

using namespace std::chrono_literals;

Env env_of(std::map<std::string, std::string> values) {
  return Env([values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

TEST(Config, UnsetOrEmptyVariablesYieldTheDefault) {
  auto env = env_of({{"VELOCITY_EMPTY", ""}});
  EXPECT_EQ(env.integer("VELOCITY_UNSET", 5).value(), 5);
  EXPECT_EQ(env.integer("VELOCITY_EMPTY", 5).value(), 5);
  EXPECT_EQ(env.string("VELOCITY_UNSET", "x").value(), "x");
  EXPECT_EQ(env.boolean("VELOCITY_UNSET", true).value(), true);
  EXPECT_EQ(env.duration("VELOCITY_UNSET", 3s).value(), 3s);
}

TEST(Config, WellFormedValuesAreParsed) {
  auto env = env_of({{"N", "-42"},
                     {"B", "Off"},
                     {"D1", "250ms"},
                     {"D2", "5s"},
                     {"D3", "2m"},
                     {"D4", "1500"},
                     {"S", "hello"},
                     {"F", "JSON"}});
  EXPECT_EQ(env.integer("N", 0).value(), -42);
  EXPECT_EQ(env.boolean("B", true).value(), false);
  EXPECT_EQ(env.duration("D1", 0ms).value(), 250ms);
  EXPECT_EQ(env.duration("D2", 0ms).value(), 5s);
  EXPECT_EQ(env.duration("D3", 0ms).value(), 2min);
  EXPECT_EQ(env.duration("D4", 0ms).value(), 1500ms);
  EXPECT_EQ(env.string("S", "").value(), "hello");
  EXPECT_EQ(env.choice("F", "text", {"json", "text"}).value(), "json");
}

TEST(Config, MalformedValuesNameTheVariableAndTheExpectedForm) {
  auto env = env_of({{"VELOCITY_X", "5x"},
                     {"VELOCITY_B", "maybe"},
                     {"VELOCITY_D", "5 s"},
                     {"VELOCITY_F", "xml"},
                     {"VELOCITY_BIG", "99999999999999999999"}});
  auto x = env.integer("VELOCITY_X", 5);
  ASSERT_FALSE(x);
  EXPECT_EQ(x.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(x.error().context, "VELOCITY_X='5x': expected an integer");
  EXPECT_FALSE(env.integer("VELOCITY_BIG", 0));
  EXPECT_NE(env.boolean("VELOCITY_B", false).error().context.find("VELOCITY_B='maybe'"),
            std::string::npos);
  EXPECT_NE(env.duration("VELOCITY_D", 1s).error().context.find("VELOCITY_D"), std::string::npos);
  EXPECT_NE(
      env.choice("VELOCITY_F", "json", {"json", "text"}).error().context.find("one of json text"),
      std::string::npos);
}

TEST(Config, IntegersOutsideTheirRangeAreRejected) {
  auto env = env_of({{"P", "70000"}});
  auto port = env.integer("P", 80, 0, 65535);
  ASSERT_FALSE(port);
  EXPECT_EQ(port.error().context, "P='70000': expected an integer in 0..65535");
}

TEST(Config, EndpointsParseHostAndPort) {
  auto env =
      env_of({{"A", "127.0.0.1:0"}, {"B", "[::1]:9100"}, {"C", "localhost"}, {"D", "h:65536"}});
  EXPECT_EQ(env.endpoint("A", "").value(), (Endpoint{"127.0.0.1", 0}));
  EXPECT_EQ(env.endpoint("B", "").value(), (Endpoint{"::1", 9100}));
  EXPECT_EQ(env.endpoint("UNSET", "0.0.0.0:9100").value(), (Endpoint{"0.0.0.0", 9100}));
  EXPECT_FALSE(env.endpoint("C", ""));
  EXPECT_FALSE(env.endpoint("D", ""));
}

TEST(Config, RequiredThrowsAtStartUpWithTheVariableName) {
  auto env = env_of({{"VELOCITY_WORKERS", "many"}});
  EXPECT_EQ(required(env.integer("VELOCITY_UNSET", 4)), 4);
  try {
    (void)required(env.integer("VELOCITY_WORKERS", 4));
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("VELOCITY_WORKERS='many'"), std::string::npos) << e.what();
  }
}

TEST(Config, ProcessEnvironmentIsReadByTheShorthands) {
  ::setenv("VELOCITY_OPS_CONFIG_TEST", "17", 1);
  EXPECT_EQ(env_int("VELOCITY_OPS_CONFIG_TEST", 0).value(), 17);
  ::unsetenv("VELOCITY_OPS_CONFIG_TEST");
  EXPECT_EQ(env_int("VELOCITY_OPS_CONFIG_TEST", 3).value(), 3);
}

}  // namespace
}  // namespace velocity::config
