// What the tool prints and how it fails: the output format, aligned tables for people, JSON
// for scripts, and the two failure kinds that become exit codes. Stateless; main thread only.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "velocity/result.h"

namespace velocity::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the operation failed: broker unreachable, topic missing
inline constexpr int kExitUsage = 2;   // the command line cannot work as written

enum class OutputFormat { kTable, kJson };

// The command line is wrong (exit 2): a bad value, a missing or contradictory option.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The operation failed (exit 1); the message says what was being done and why it failed.
struct OperationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The value of `result`, or OperationError with its error's message.
template <typename T>
T unwrap(Result<T> result) {
  if (!result) throw OperationError(result.error().context);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// Columns padded to their widest cell, two spaces apart, the header row first.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// One JSON document on one line. Bytes that are not UTF-8 become U+FFFD.
std::string to_json_line(const nlohmann::json& value);
void print_json(const nlohmann::json& value);

// "-" for nullopt, else the number.
std::string or_dash(std::optional<std::int64_t> value);

}  // namespace velocity::cli
