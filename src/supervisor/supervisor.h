// Runs a set of processes as one system: starts them stage by stage (a stage starts once every
// process of the previous one is ready), restarts a process that dies with exponential backoff,
// and stops everything in reverse order on request. The state is written as JSON to a file that
// `velocity status` reads.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "supervisor/log_mux.h"
#include "supervisor/process.h"

namespace velocity::supervisor {

struct Member {
  std::string name;   // unique: "orders", "orders.2"
  std::string group;  // the service: "orders"
  int stage = 0;      // started after every member of lower stages is ready
  ProcessSpec spec;
  // Ready when GET http://host:port<ready_path> answers 200, or, with an empty path, when the
  // port accepts connections.
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string ready_path = "/readyz";
};

struct SupervisorOptions {
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(90)};
  std::chrono::milliseconds stop_grace{std::chrono::seconds(15)};
  std::chrono::milliseconds first_backoff{std::chrono::milliseconds(500)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  // A process that ran this long since its last start begins again at the first backoff.
  std::chrono::milliseconds stable_after{std::chrono::seconds(60)};
  std::filesystem::path state_file;  // empty: none
  nlohmann::json state_extra = nlohmann::json::object();  // merged into the state file
};

class Supervisor {
 public:
  Supervisor(std::vector<Member> members, SupervisorOptions options, LogMux& log);
  ~Supervisor();  // stop()
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts every member, stage by stage, and waits for each to be ready. Fails (having stopped
  // what it started) when a member cannot start or is not ready in time, or when `cancelled`
  // turns true meanwhile.
  [[nodiscard]] Result<void> start(const std::atomic<bool>& cancelled);
  // Watches the members until `stop_requested` turns true, restarting any that dies.
  void supervise(const std::atomic<bool>& stop_requested);
  // Stops every member in reverse start order (SIGTERM, then SIGKILL after the grace).
  void stop();

  // Restarts seen so far, per member.
  int restarts(const std::string& name) const;
  pid_t pid(const std::string& name) const;
  nlohmann::json state() const;

 private:
  struct Running;
  [[nodiscard]] Result<void> launch(Running& member);
  bool ready(const Member& member) const;
  void write_state() const;

  std::vector<std::unique_ptr<Running>> members_;
  SupervisorOptions options_;
  LogMux& log_;
  mutable std::mutex mutex_;
  bool stopped_ = false;
};

}  // namespace velocity::supervisor
