// ChildProcess: a long-running program started for one test (a group member, `kcat -G`) whose
// stdout and stderr go to files the test reads while it runs. The test signals it (SIGTERM for a
// graceful exit, SIGKILL for a crash) and waits for it with a deadline; the destructor always
// kills and reaps a child that is still running, and the kernel kills it if the test process
// dies (PR_SET_PDEATHSIG). Not thread-safe: one test thread drives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace velocity::testing {

class ChildProcess {
 public:
  // Starts argv (argv[0] a path or a name in PATH); stdout and stderr are appended to the
  // given files, which are created if missing.
  [[nodiscard]] static Result<std::unique_ptr<ChildProcess>> spawn(
      const std::vector<std::string>& argv, const std::filesystem::path& stdout_path,
      const std::filesystem::path& stderr_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::filesystem::path& stdout_path() const { return stdout_path_; }
  bool running();
  // Sends SIGTERM and waits up to `timeout`; returns the exit code (128 + signal number when
  // a signal ended it). On timeout the child is killed and an error returned.
  [[nodiscard]] Result<int> terminate(std::chrono::milliseconds timeout);
  // SIGKILL and reap: the crash case.
  void kill9();
  // Everything the child wrote to stdout / stderr so far.
  std::string stdout_text() const;
  std::string stderr_tail(std::size_t max_lines = 20) const;

 private:
  ChildProcess(pid_t pid, std::filesystem::path stdout_path, std::filesystem::path stderr_path)
      : pid_(pid), stdout_path_(std::move(stdout_path)), stderr_path_(std::move(stderr_path)) {}
  void reap_if_exited();

  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

}  // namespace velocity::testing
