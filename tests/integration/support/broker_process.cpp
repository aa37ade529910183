#include "support/broker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/net.h"
#include "support/subprocess.h"

namespace velocity::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(30);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

bool BrokerProcess::mock_requested() {
  const char* value = std::getenv("VELOCITY_TEST_MOCK_BROKER");
  return value != nullptr && std::string_view(value) == "1";
}

Result<std::unique_ptr<BrokerProcess>> BrokerProcess::start(std::vector<std::string> extra_args) {
  auto root = TempDir::create("velocity-broker-test");
  if (!root) return std::unexpected(root.error());
  std::uint16_t port = 0;
  const bool mock = mock_requested();
  if (!mock) {
    auto free_port = free_tcp_port();
    if (!free_port) return std::unexpected(free_port.error());
    port = *free_port;
  }
  std::unique_ptr<BrokerProcess> broker(new BrokerProcess(std::move(*root), mock, port, std::move(extra_args)));
  if (auto launched = broker->launch(); !launched) return std::unexpected(launched.error());
  return broker;
}

BrokerProcess::BrokerProcess(TempDir root, bool mock, std::uint16_t port,
                             std::vector<std::string> extra_args)
    : root_(std::move(root)),
      data_dir_(root_.path() / "data"),
      stdout_path_(root_.path() / "broker.stdout.log"),
      stderr_path_(root_.path() / "broker.stderr.log"),
      mock_(mock),
      port_(port),
      extra_args_(std::move(extra_args)) {
  bootstrap_ = fmt::format("{}:{}", host_, port_);
}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

Result<void> BrokerProcess::launch() {
  const std::string executable = mock_ ? VELOCITY_MOCK_BROKER_EXECUTABLE : VELOCITY_BROKER_EXECUTABLE;
  if (::access(executable.c_str(), X_OK) != 0) {
    return fail(ErrorCode::kNotFound,
                fmt::format("broker executable {} is missing: build the {} target first",
                            executable, mock_ ? "velocity-mock-broker" : "velocity-broker"));
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  if (ec) return fail(ErrorCode::kIo, fmt::format("create {}: {}", data_dir_.string(), ec.message()));

  // Everything the child touches is prepared before fork (only async-signal-safe calls
  // between fork and exec: the test process runs librdkafka threads).
  std::vector<std::string> args{executable};
  if (!mock_) {
    args.insert(args.end(), {"--listen", bootstrap_, "--data-dir", data_dir_.string()});
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    return fail(ErrorCode::kIo, fmt::format("open broker logs in {}", root_.path().string()));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    ::close(err);
    return fail(ErrorCode::kIo, fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // A crashed or killed test run must not leave brokers behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  pid_ = pid;
  last_exit_code_ = -1;

  if (mock_) {
    auto bootstrap = wait_for_mock_bootstrap();
    if (!bootstrap) return std::unexpected(bootstrap.error());
    auto address = split_host_port(*bootstrap);
    if (!address) return std::unexpected(address.error());
    bootstrap_ = *bootstrap;
    host_ = address->first;
    port_ = address->second;
  }
  return wait_until_ready();
}

Result<std::string> BrokerProcess::wait_for_mock_bootstrap() {
  const auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    const std::string out = read_file(stdout_path_);
    if (const auto newline = out.find('\n'); newline != std::string::npos) {
      return out.substr(0, newline);
    }
    reap_if_exited();
    if (pid_ < 0) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  return fail(ErrorCode::kTimeout,
              fmt::format("velocity-mock-broker printed no bootstrap address; stderr:\n{}",
                          stderr_tail()));
}

Result<void> BrokerProcess::wait_until_ready() {
  const auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    reap_if_exited();
    if (pid_ < 0) {
      return fail(ErrorCode::kClosed,
                  fmt::format("broker exited with code {} before accepting connections on {}; "
                              "stderr tail:\n{}",
                              last_exit_code_, bootstrap_, stderr_tail()));
    }
    if (accepts_connections(host_, port_)) return {};
    std::this_thread::sleep_for(kPollInterval);
  }
  return fail(ErrorCode::kTimeout,
              fmt::format("broker did not accept connections on {} within {} s; stderr tail:\n{}",
                          bootstrap_, kStartTimeout.count(), stderr_tail()));
}

void BrokerProcess::reap_if_exited() {
  if (pid_ <= 0) return;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    last_exit_code_ = decode_status(status);
    pid_ = -1;
  }
}

bool BrokerProcess::running() {
  reap_if_exited();
  return pid_ > 0;
}

Result<void> BrokerProcess::send_signal(int signal) {
  reap_if_exited();
  if (pid_ < 0) return fail(ErrorCode::kClosed, "broker is not running");
  if (::kill(pid_, signal) != 0) return fail(ErrorCode::kIo, std::string("kill: ") + std::strerror(errno));
  return {};
}

Result<int> BrokerProcess::stop() {
  reap_if_exited();
  if (pid_ < 0) {
    return fail(ErrorCode::kClosed,
                fmt::format("broker was not running (last exit code {}); stderr tail:\n{}",
                            last_exit_code_, stderr_tail()));
  }
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + kStopTimeout;
  while (Clock::now() < deadline) {
    reap_if_exited();
    if (pid_ < 0) return last_exit_code_;
    std::this_thread::sleep_for(kPollInterval);
  }
  (void)kill9();
  return fail(ErrorCode::kTimeout,
              fmt::format("broker did not exit within {} s of SIGTERM (killed); stderr tail:\n{}",
                          kStopTimeout.count(), stderr_tail()));
}

Result<void> BrokerProcess::kill9() {
  if (pid_ < 0) return fail(ErrorCode::kClosed, "kill9: broker is not running");
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  last_exit_code_ = decode_status(status);
  pid_ = -1;
  return {};
}

Result<void> BrokerProcess::restart() {
  if (mock_) {
    return fail(ErrorCode::kUnsupported,
                "restart: the librdkafka mock broker keeps no state across processes");
  }
  reap_if_exited();
  if (pid_ > 0) return fail(ErrorCode::kInvalidArgument, "restart: broker is still running");
  return launch();
}

std::string BrokerProcess::stderr_tail(std::size_t max_lines) const {
  return tail_lines(read_file(stderr_path_), max_lines);
}

}  // namespace velocity::testing
