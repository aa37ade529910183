#include "support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "support/subprocess.h"

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::vector<std::string>& argv,
                                                          const std::filesystem::path& stdout_path,
                                                          const std::filesystem::path& stderr_path) {
  if (argv.empty()) return fail(ErrorCode::kInvalidArgument, "spawn: empty argv");
  auto path = find_executable(argv[0]);
  if (!path) return std::unexpected(path.error());
  // Built before fork: only async-signal-safe calls between fork and exec (the test process
  // runs librdkafka threads).
  const std::string program = path->string();
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (auto& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  const int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    return fail(ErrorCode::kIo, fmt::format("spawn {}: cannot open its output files", program));
  }
  const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    ::close(err);
    if (null_in >= 0) ::close(null_in);
    return fail(ErrorCode::kIo, fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (null_in >= 0) ::dup2(null_in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(program.c_str(), raw.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  if (null_in >= 0) ::close(null_in);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, stdout_path, stderr_path));
}

ChildProcess::~ChildProcess() { kill9(); }

void ChildProcess::reap_if_exited() {
  if (pid_ <= 0) return;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = decode_status(status);
    pid_ = -1;
  }
}

bool ChildProcess::running() {
  reap_if_exited();
  return pid_ > 0;
}

Result<int> ChildProcess::terminate(std::chrono::milliseconds timeout) {
  reap_if_exited();
  if (pid_ <= 0) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    reap_if_exited();
    if (pid_ <= 0) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  return fail(ErrorCode::kTimeout,
              fmt::format("child did not exit within {} ms of SIGTERM (killed); stderr tail:\n{}",
                          timeout.count(), stderr_tail()));
}

void ChildProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = decode_status(status);
  pid_ = -1;
}

std::string ChildProcess::stdout_text() const { return read_whole(stdout_path_); }

std::string ChildProcess::stderr_tail(std::size_t max_lines) const {
  return tail_lines(read_whole(stderr_path_), max_lines);
}

}  // namespace velocity::testing
