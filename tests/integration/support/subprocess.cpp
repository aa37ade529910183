#include "support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int read_end = -1;
  int write_end = -1;
};

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

Result<Pipe> make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorCode::kIo, fmt::format("pipe2: {}", std::strerror(errno)));
  }
  return Pipe{fds[0], fds[1]};
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Everything the child needs is built before fork: between fork and exec only
// async-signal-safe calls are allowed, because the test process runs librdkafka threads.
struct ExecImage {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;

  void seal() {
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

}  // namespace

std::string CommandResult::summary() const {
  return fmt::format("exit {}{}; stderr tail:\n{}", exit_code, timed_out ? " (timed out)" : "",
                     tail_lines(err, 20));
}

std::string tail_lines(const std::string& text, std::size_t max_lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  std::size_t lines = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) break;
    --pos;
  }
  return text.substr(pos);
}

Result<std::filesystem::path> find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return std::filesystem::path(name);
    return fail(ErrorCode::kNotFound, fmt::format("{} is missing or not executable", name));
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::filesystem::path candidate = std::filesystem::path(path.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return fail(ErrorCode::kNotFound, fmt::format("{} not found in PATH (run scripts/setup)", name));
}

Result<CommandResult> run_command(const Command& command) {
  if (command.argv.empty()) return fail(ErrorCode::kInvalidArgument, "run_command: empty argv");
  auto path = find_executable(command.argv[0]);
  if (!path) return std::unexpected(path.error());

  ExecImage image;
  image.path = path->string();
  image.args = command.argv;
  for (char** e = environ; *e != nullptr; ++e) image.env.emplace_back(*e);
  for (const auto& [key, value] : command.extra_env) image.env.push_back(key + "=" + value);
  image.seal();

  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  if (!in || !out || !err) return fail(ErrorCode::kIo, "run_command: cannot create pipes");

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorCode::kIo, fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in->read_end, STDIN_FILENO);
    ::dup2(out->write_end, STDOUT_FILENO);
    ::dup2(err->write_end, STDERR_FILENO);
    ::execve(image.path.c_str(), image.argv.data(), image.envp.data());
    ::_exit(127);
  }
  close_fd(in->read_end);
  close_fd(out->write_end);
  close_fd(err->write_end);
  ::fcntl(in->write_end, F_SETFL, O_NONBLOCK);
  // A child that exits without reading its input must not kill us with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);

  CommandResult result;
  std::size_t written = 0;
  if (command.input.empty()) close_fd(in->write_end);
  const auto deadline = Clock::now() + command.timeout;
  std::array<char, 65536> buffer{};

  while (out->read_end >= 0 || err->read_end >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    std::array<pollfd, 3> fds{{{out->read_end, POLLIN, 0},
                               {err->read_end, POLLIN, 0},
                               {in->write_end, POLLOUT, 0}}};
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close_fd(i == 0 ? out->read_end : err->read_end);
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = ::write(in->write_end, command.input.data() + written,
                                command.input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == command.input.size()) {
        close_fd(in->write_end);
      }
    }
  }
  close_fd(in->write_end);
  close_fd(out->read_end);
  close_fd(err->read_end);

  // Both pipes are closed, but a child may close them and keep running: the deadline still
  // holds for the wait.
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    ::usleep(2000);
  }
  result.exit_code = decode_status(status);
  return result;
}

}  // namespace velocity::testing
