// Interleaves the output of many processes on one terminal: each line is prefixed with its
// process's name, aligned and (on a terminal) coloured, and written whole, never torn.
#pragma once

#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace velocity::supervisor {

struct LogMuxOptions {
  bool colour = false;
  bool quiet = false;              // drop the processes' own lines; keep the supervisor's
  std::set<std::string> only;      // show lines of these process groups only (empty: all)
  size_t width = 13;               // prefix width
};

class LogMux {
 public:
  explicit LogMux(LogMuxOptions options, std::FILE* out = stdout) : options_(std::move(options)), out_(out) {}

  // A line printed by a child; `group` is the service ("orders" for "orders.2").
  void child(std::string_view name, std::string_view group, std::string_view line);
  // A line of the supervisor itself; always shown.
  void note(std::string_view line);

 private:
  void write(std::string_view name, std::string_view group, std::string_view line);
  LogMuxOptions options_;
  std::FILE* out_;
  std::mutex mutex_;
};

}  // namespace velocity::supervisor
