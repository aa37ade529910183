// 12-factor configuration: typed reads of environment variables with defaults. An unset or empty
// variable yields the default; a malformed one yields kInvalidArgument naming the variable, its
// value and the expected form. Thread-safe for reads (the environment must not change meanwhile).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "velocity/result.h"

namespace velocity::config {

// host:port, e.g. "0.0.0.0:9100", "127.0.0.1:0", "[::1]:9100".
struct Endpoint {
  std::string host;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text);

// Where values come from: the process environment by default, a map in tests.
class Env {
 public:
  using Lookup = std::function<std::optional<std::string>(std::string_view name)>;
  Env();
  explicit Env(Lookup lookup);

  [[nodiscard]] Result<std::string> string(std::string_view name, std::string_view fallback) const;
  [[nodiscard]] Result<int64_t> integer(std::string_view name, int64_t fallback,
                                        int64_t min = std::numeric_limits<int64_t>::min(),
                                        int64_t max = std::numeric_limits<int64_t>::max()) const;
  // true/false, 1/0, yes/no, on/off (any case).
  [[nodiscard]] Result<bool> boolean(std::string_view name, bool fallback) const;
  // "250ms", "5s", "2m", "1h"; a bare number is milliseconds.
  [[nodiscard]] Result<std::chrono::milliseconds> duration(
      std::string_view name, std::chrono::milliseconds fallback) const;
  [[nodiscard]] Result<Endpoint> endpoint(std::string_view name, std::string_view fallback) const;
  // One of `allowed` (exact match, case-insensitive; returned lowercase).
  [[nodiscard]] Result<std::string> choice(std::string_view name, std::string_view fallback,
                                           const std::vector<std::string_view>& allowed) const;

 private:
  Lookup lookup_;
};

// Shorthands over the process environment.
[[nodiscard]] Result<std::string> env_string(std::string_view name, std::string_view fallback);
[[nodiscard]] Result<int64_t> env_int(std::string_view name, int64_t fallback,
                                      int64_t min = std::numeric_limits<int64_t>::min(),
                                      int64_t max = std::numeric_limits<int64_t>::max());
[[nodiscard]] Result<bool> env_bool(std::string_view name, bool fallback);
[[nodiscard]] Result<std::chrono::milliseconds> env_duration(std::string_view name,
                                                             std::chrono::milliseconds fallback);
[[nodiscard]] Result<Endpoint> env_endpoint(std::string_view name, std::string_view fallback);

// Thrown only by required(), for a service's main() to stop at start-up with a clear message.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The value, or throws ConfigError with the error's message (which names the variable).
template <typename T>
T required(Result<T> result) {
  if (!result) throw ConfigError(result.error().message());
  return std::move(*result);
}

}  // namespace velocity::config
