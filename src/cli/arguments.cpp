#include "cli/arguments.h"

#include <charconv>
#include <cmath>
#include <string>

#include "cli/output.h"
#include "velocity/event.h"

namespace velocity::cli {
namespace {

[[noreturn]] void bad_value(std::string_view option, std::string_view text, std::string_view want) {
  throw UsageError(std::string(option) + ": invalid value '" + std::string(text) + "', expected " +
                   std::string(want));
}

}  // namespace

std::pair<std::string, std::string> parse_key_value(std::string_view option,
                                                    std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) bad_value(option, text, "KEY=VALUE");
  return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

std::int64_t parse_integer(std::string_view option, std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    bad_value(option, text, "an integer");
  }
  return value;
}

std::chrono::milliseconds parse_duration(std::string_view option, std::string_view text) {
  std::string_view number = text;
  double scale = 1000.0;  // plain numbers are seconds
  if (text.ends_with("ms")) {
    number.remove_suffix(2);
    scale = 1.0;
  } else if (text.ends_with("s")) {
    number.remove_suffix(1);
  } else if (text.ends_with("m")) {
    number.remove_suffix(1);
    scale = 60000.0;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
      !std::isfinite(value) || value < 0) {
    bad_value(option, text, "a duration such as 500ms, 5s, 2m or a number of seconds");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(value * scale)));
}

std::int64_t parse_time_ms(std::string_view option, std::string_view text) {
  std::int64_t millis = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), millis);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    if (millis < 0) bad_value(option, text, "a time that is not before 1970");
    return millis;
  }
  auto parsed = parse_rfc3339(text);
  if (!parsed) bad_value(option, text, "an RFC 3339 time or milliseconds since the epoch");
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(parsed->time_since_epoch()).count();
  if (since_epoch < 0) bad_value(option, text, "a time that is not before 1970");
  return since_epoch;
}

StartPosition parse_start_offset(std::string_view option, std::string_view text) {
  if (text == "earliest" || text == "beginning") return {StartPosition::Kind::kEarliest, 0};
  if (text == "latest" || text == "end") return {StartPosition::Kind::kLatest, 0};
  std::int64_t offset = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), offset);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || offset < 0) {
    bad_value(option, text, "earliest, latest or an offset >= 0");
  }
  return {StartPosition::Kind::kOffset, offset};
}

}  // namespace velocity::cli
