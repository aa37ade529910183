// BrokerProcess: one velocity-broker child process for one test, listening on a free
// 127.0.0.1 port with a fresh data directory that survives restarts of the child and is
// removed with the object. The destructor always kills a child that is still running.
// With VELOCITY_TEST_MOCK_BROKER=1 it starts velocity-mock-broker (librdkafka's mock
// cluster) instead: only for developing the tests themselves; it has no durable state, so
// restart() fails there. Not thread-safe: one test thread drives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "support/temp_dir.h"

namespace velocity::testing {

class BrokerProcess {
 public:
  // True when VELOCITY_TEST_MOCK_BROKER=1 asks for the librdkafka mock stand-in.
  static bool mock_requested();

  // Starts the broker and waits (bounded) until its port accepts connections. The error
  // carries the tail of the child's stderr when it exits early or never listens.
  // `extra_args` follow --listen and --data-dir on every launch, restarts included (e.g.
  // "--group-initial-rebalance-delay-ms", "0"); the mock stand-in ignores them.
  [[nodiscard]] static Result<std::unique_ptr<BrokerProcess>> start(
      std::vector<std::string> extra_args = {});

  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;
  ~BrokerProcess();

  // "127.0.0.1:<port>", for bootstrap.servers.
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  bool is_mock() const { return mock_; }

  // True while the child has not exited.
  bool running();
  // SIGTERM, then waits up to 30 s; returns the exit code (128 + signal when killed by one).
  [[nodiscard]] Result<int> stop();
  // Sends `signal` to the running broker (kClosed if it is not running).
  [[nodiscard]] Result<void> send_signal(int signal);
  // SIGKILL and reap: the crash case, no chance to flush anything.
  [[nodiscard]] Result<void> kill9();
  // Starts the child again on the same port and data directory; the child must be stopped.
  [[nodiscard]] Result<void> restart();

  // The last lines the child wrote to stderr, across all its runs (for failure messages).
  std::string stderr_tail(std::size_t max_lines = 40) const;

 private:
  BrokerProcess(TempDir root, bool mock, std::uint16_t port, std::vector<std::string> extra_args);
  Result<void> launch();
  Result<void> wait_until_ready();
  Result<std::string> wait_for_mock_bootstrap();
  void reap_if_exited();

  TempDir root_;
  std::filesystem::path data_dir_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  bool mock_ = false;
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 0;
  std::string bootstrap_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int last_exit_code_ = -1;
};

}  // namespace velocity::testing
