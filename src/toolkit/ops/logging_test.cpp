#include "velocity/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "velocity/trace.h"

namespace velocity::ops {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

config::Env env_of(std::string format, std::string level) {
  return config::Env([=](std::string_view name) -> std::optional<std::string> {
    if (name == "VELOCITY_LOG_FORMAT") return format;
    if (name == "VELOCITY_LOG_LEVEL") return level;
    return std::nullopt;
  });
}

TEST(Logging, JsonLinesCarryTimeLevelServiceMessageAndTrace) {
  std::ostringstream out;
  auto logger = make_logger(LogOptions{"orders", "info", LogFormat::kJson},
                            std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  ASSERT_TRUE(logger);
  (*logger)->info("order {} placed \"quoted\"\nsecond line", 42);
  const auto trace = trace::new_root();
  {
    trace::Scope scope(trace);
    (*logger)->warn("inside a trace");
  }
  (*logger)->debug("below the level");

  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2u) << out.str();
  EXPECT_EQ(lines[0].rfind(R"({"time":")", 0), 0u) << lines[0];
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["service"], "orders");
  EXPECT_EQ(first["message"], "order 42 placed \"quoted\"\nsecond line");
  EXPECT_FALSE(first.contains("trace_id"));
  EXPECT_TRUE(std::regex_match(first["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << first["time"];
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "warn");
  EXPECT_EQ(second["trace_id"], trace.trace_id_hex());
  EXPECT_EQ(second["span_id"], trace.parent_id_hex());
}

TEST(Logging, TextLinesAreForHumansAndShowTheTrace) {
  std::ostringstream out;
  auto logger = make_logger(LogOptions{"cart", "debug", LogFormat::kText},
                            std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  ASSERT_TRUE(logger);
  const auto trace = trace::new_root();
  trace::Scope scope(trace);
  (*logger)->debug("hello");
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("cart: hello trace=" + trace.trace_id_hex()), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].front(), '2');  // starts with the date
}

TEST(Logging, FormatAndLevelComeFromTheEnvironment) {
  auto options = LogOptions::from_env("users", env_of("TEXT", "warn"));
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_EQ(options->format, LogFormat::kText);
  EXPECT_EQ(options->level, "warn");
  EXPECT_EQ(options->service, "users");
}

TEST(Logging, MalformedEnvironmentNamesTheVariable) {
  auto bad_format = LogOptions::from_env("users", env_of("xml", "info"));
  ASSERT_FALSE(bad_format);
  EXPECT_NE(bad_format.error().context.find("VELOCITY_LOG_FORMAT"), std::string::npos);
  auto bad_level = LogOptions::from_env("users", env_of("json", "loud"));
  ASSERT_FALSE(bad_level);
  EXPECT_NE(bad_level.error().context.find("VELOCITY_LOG_LEVEL"), std::string::npos);
}

}  // namespace
}  // namespace velocity::ops
