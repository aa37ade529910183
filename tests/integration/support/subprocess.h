// Runs other programs for the integration tests: a one-shot command with a deadline whose
// stdin is fed and whose stdout/stderr are captured (kcat, node), and the path lookup both
// it and BrokerProcess use. Each call is independent and safe from any thread; children are
// started with fork+exec and are killed if the test process dies first.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace velocity::testing {

struct Command {
  std::vector<std::string> argv;  // argv[0] is a path or a name looked up in PATH
  std::string input;              // written to the child's stdin, which is then closed
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  std::vector<std::pair<std::string, std::string>> extra_env;  // added to our environment
};

struct CommandResult {
  int exit_code = -1;  // exit status, or 128 + signal number when killed by a signal
  bool timed_out = false;
  std::string out;
  std::string err;

  bool ok() const { return !timed_out && exit_code == 0; }
  // "exit 1 (timed out): <last lines of stderr>" — for assertion messages.
  std::string summary() const;
};

// Runs the command to completion or until its timeout, after which it is killed (SIGKILL).
// Fails only when the program cannot be started at all.
[[nodiscard]] Result<CommandResult> run_command(const Command& command);

// The absolute path of an executable: `name` itself when it contains a slash, else the first
// match in PATH.
[[nodiscard]] Result<std::filesystem::path> find_executable(const std::string& name);

// The last `max_lines` lines of `text`.
std::string tail_lines(const std::string& text, std::size_t max_lines);

}  // namespace velocity::testing
