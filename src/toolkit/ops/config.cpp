#include "velocity/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace velocity::config {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::unexpected<Error> malformed(std::string_view name, std::string_view value,
                                 std::string_view expected) {
  return fail(ErrorCode::kInvalidArgument, std::string(name) + "='" + std::string(value) +
                                               "': expected " + std::string(expected));
}

std::optional<int64_t> to_int(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return fail(ErrorCode::kInvalidArgument, "no ':' before the port");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return fail(ErrorCode::kInvalidArgument, "empty host");
  const auto port = to_int(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535)
    return fail(ErrorCode::kInvalidArgument, "port is not 0..65535");
  return Endpoint{std::string(host), static_cast<uint16_t>(*port)};
}

Env::Env()
    : lookup_([](std::string_view name) -> std::optional<std::string> {
        // getenv is safe here as long as nobody calls setenv concurrently, which services never do.
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      }) {}

Env::Env(Lookup lookup) : lookup_(std::move(lookup)) {}

Result<std::string> Env::string(std::string_view name, std::string_view fallback) const {
  auto value = lookup_(name);
  if (!value || value->empty()) return std::string(fallback);
  return *value;
}

Result<int64_t> Env::integer(std::string_view name, int64_t fallback, int64_t min,
                             int64_t max) const {
  auto value = lookup_(name);
  if (!value || value->empty()) return fallback;
  const auto parsed = to_int(*value);
  if (!parsed) return malformed(name, *value, "an integer");
  if (*parsed < min || *parsed > max) {
    return malformed(name, *value,
                     "an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return *parsed;
}

Result<bool> Env::boolean(std::string_view name, bool fallback) const {
  auto value = lookup_(name);
  if (!value || value->empty()) return fallback;
  const std::string v = lowercase(*value);
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return malformed(name, *value, "true/false, 1/0, yes/no or on/off");
}

Result<std::chrono::milliseconds> Env::duration(std::string_view name,
                                                std::chrono::milliseconds fallback) const {
  auto value = lookup_(name);
  if (!value || value->empty()) return fallback;
  std::string_view text = *value;
  const auto unit_at = text.find_first_not_of("0123456789");
  const auto amount = to_int(text.substr(0, unit_at));
  const std::string_view unit = unit_at == std::string_view::npos ? "ms" : text.substr(unit_at);
  int64_t scale = 0;
  if (unit == "ms") scale = 1;
  if (unit == "s") scale = 1000;
  if (unit == "m") scale = 60'000;
  if (unit == "h") scale = 3'600'000;
  constexpr std::string_view kForm = "a duration such as 250ms, 5s, 2m or 1h";
  if (!amount || scale == 0) return malformed(name, *value, kForm);
  if (*amount > std::numeric_limits<int64_t>::max() / scale) return malformed(name, *value, kForm);
  return std::chrono::milliseconds(*amount * scale);
}

Result<Endpoint> Env::endpoint(std::string_view name, std::string_view fallback) const {
  auto value = lookup_(name);
  const std::string text = value && !value->empty() ? *value : std::string(fallback);
  auto parsed = parse_endpoint(text);
  if (!parsed) return malformed(name, text, "host:port (" + parsed.error().context + ")");
  return parsed;
}

Result<std::string> Env::choice(std::string_view name, std::string_view fallback,
                                const std::vector<std::string_view>& allowed) const {
  auto value = lookup_(name);
  const std::string v = lowercase(value && !value->empty() ? *value : fallback);
  if (std::ranges::find(allowed, v) != allowed.end()) return v;
  std::string expected = "one of";
  for (auto a : allowed) expected += " " + std::string(a);
  return malformed(name, v, expected);
}

Result<std::string> env_string(std::string_view name, std::string_view fallback) {
  return Env().string(name, fallback);
}

Result<int64_t> env_int(std::string_view name, int64_t fallback, int64_t min, int64_t max) {
  return Env().integer(name, fallback, min, max);
}

Result<bool> env_bool(std::string_view name, bool fallback) {
  return Env().boolean(name, fallback);
}

Result<std::chrono::milliseconds> env_duration(std::string_view name,
                                               std::chrono::milliseconds fallback) {
  return Env().duration(name, fallback);
}

Result<Endpoint> env_endpoint(std::string_view name, std::string_view fallback) {
  return Env().endpoint(name, fallback);
}

}  // namespace velocity::config
