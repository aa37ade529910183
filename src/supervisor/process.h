// One child process of the supervisor: started with its own argument list and environment,
// in its own process group (so a terminal's Ctrl-C reaches only the supervisor, which then
// stops children in order), with its stdout and stderr on one pipe read line by line, and
// asked to die with the supervisor (PR_SET_PDEATHSIG) so no child outlives a killed parent.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace velocity::supervisor {

struct ProcessSpec {
  std::vector<std::string> argv;                 // argv[0] is the executable's path
  std::map<std::string, std::string> env;        // added to (and overriding) the parent's
  std::string working_dir;                       // empty: the parent's
};

// How a child ended: exit code, or the signal that killed it.
struct ExitStatus {
  std::optional<int> code;
  std::optional<int> signal;
  std::string describe() const;  // "exited with code 1", "killed by SIGKILL"
};

class Process {
 public:
  using LineSink = std::function<void(std::string_view line)>;

  // Starts the child; every line it prints (stdout and stderr) goes to `sink` from a reader
  // thread owned by this object.
  [[nodiscard]] static Result<std::unique_ptr<Process>> spawn(const ProcessSpec& spec, LineSink sink);
  ~Process();  // kills (SIGKILL) a child still running and reaps it
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Non-blocking: the exit status once the child has ended (reaping it), else nullopt.
  std::optional<ExitStatus> poll();
  // Sends SIGTERM, waits up to `grace`, then SIGKILL; returns how it ended.
  ExitStatus stop(std::chrono::milliseconds grace);
  void signal(int signal_number) const;

 private:
  Process(pid_t pid, int output_fd, LineSink sink);
  void read_output();

  pid_t pid_;
  int output_fd_;
  LineSink sink_;
  std::thread reader_;
  std::optional<ExitStatus> exit_;
};

}  // namespace velocity::supervisor
