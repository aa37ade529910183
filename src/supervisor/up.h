// `velocity up`: the whole store on one machine — velocity-broker (unless an external cluster is
// given), the eight services and the gateway — as supervised child processes sharing one data
// directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "supervisor/supervisor.h"

namespace velocity::supervisor {

// The services in start order, with their usual HTTP ports (docs/api.md).
struct ServiceInfo {
  const char* name;
  uint16_t port;
};
inline constexpr ServiceInfo kServices[] = {
    {"users", 8081},     {"catalog", 8082},  {"cart", 8083},     {"orders", 8084},
    {"inventory", 8085}, {"payments", 8086}, {"shipping", 8087}, {"notifications", 8088},
};

struct UpOptions {
  std::filesystem::path data_dir = "var";
  bool fresh = false;                       // empty the data directory first
  std::string external_broker;              // HOST:PORT[,...] of a Kafka cluster; empty: our own
  std::string broker_listen = "127.0.0.1:9092";
  std::string http = "127.0.0.1:8080";      // the storefront
  bool free_ports = false;                  // every process on a free port instead (tests)
  std::map<std::string, int> scale;         // instances per service (default 1)
  std::map<std::string, std::string> env;   // extra environment for every child
  std::filesystem::path bin_dir;            // where velocity-* executables are
  std::filesystem::path web_dir;            // the storefront's files
  LogMuxOptions log;
  SupervisorOptions supervisor;
};

// Parses "inventory=3" into `scale`; the name must be a service.
[[nodiscard]] Result<void> parse_scale(const std::string& text, std::map<std::string, int>& scale);

// The processes `velocity up` runs for these options.
[[nodiscard]] Result<std::vector<Member>> plan(const UpOptions& options);

// Runs until SIGINT/SIGTERM; returns the process exit code (0 after a clean stop).
int run_up(UpOptions options);

// A consumer group's lag: messages on the log it has still to read, summed over partitions.
struct GroupLag {
  int64_t lag = 0;
  int partitions = 0;
  std::string state;  // as the group coordinator says (Stable, Empty, ...)
};
// Asks the bus at `brokers` about these groups; a group with nothing to report may be absent.
using LagProbe = std::function<Result<std::map<std::string, GroupLag>>(const std::string& brokers,
                                                                      const std::vector<std::string>& groups)>;

// `velocity status`: what the `velocity up` on `data_dir` runs, with health, restarts and, when
// `probe` is given, each service's consumer lag (a probe that fails leaves the lag unknown and
// says why). Returns the exit code (1 when nothing runs there).
int run_status(const std::filesystem::path& data_dir, bool json, const LagProbe& probe = {});

}  // namespace velocity::supervisor
