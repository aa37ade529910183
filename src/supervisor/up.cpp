#include "supervisor/up.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "supervisor/data_dir_lock.h"
#include "velocity/config.h"
#include "supervisor/probe.h"

namespace velocity::supervisor {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true);
}

bool is_service(const std::string& name) {
  for (const auto& s : kServices)
    if (name == s.name) return true;
  return false;
}

// HOST:PORT with a real port: a supervised process must be reachable where it was told to listen.
Result<config::Endpoint> fixed_endpoint(const std::string& text) {
  auto endpoint = config::parse_endpoint(text);
  if (!endpoint) return fail(ErrorCode::kInvalidArgument, "'" + text + "' is not HOST:PORT: " + endpoint.error().context);
  if (endpoint->port == 0) return fail(ErrorCode::kInvalidArgument, "'" + text + "' needs a port other than 0");
  return endpoint;
}

// Removes everything under `dir` except the lock file, which the caller holds.
Result<void> empty_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename() == "velocity.lock") continue;
    std::filesystem::remove_all(entry.path(), ec);
    if (ec) return fail(ErrorCode::kIo, "cannot remove " + entry.path().string() + ": " + ec.message());
  }
  if (ec) return fail(ErrorCode::kIo, "cannot list " + dir.string() + ": " + ec.message());
  return {};
}

}  // namespace

Result<void> parse_scale(const std::string& text, std::map<std::string, int>& scale) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "--scale takes SERVICE=N, e.g. inventory=3 (got '" + text + "')");
  }
  const std::string name = text.substr(0, eq);
  if (!is_service(name)) {
    std::string known;
    for (const auto& s : kServices) known += (known.empty() ? "" : ", ") + std::string(s.name);
    return fail(ErrorCode::kInvalidArgument, "--scale: unknown service '" + name + "' (one of " + known + ")");
  }
  int n = 0;
  try {
    size_t used = 0;
    n = std::stoi(text.substr(eq + 1), &used);
    if (used != text.size() - eq - 1) n = 0;
  } catch (...) {
    n = 0;
  }
  if (n < 1 || n > 16) return fail(ErrorCode::kInvalidArgument, "--scale " + name + ": N must be 1 to 16");
  scale[name] = n;
  return {};
}

Result<std::vector<Member>> plan(const UpOptions& options) {
  UpOptions o = options;
  if (o.free_ports) {
    o.broker_listen = "127.0.0.1:" + std::to_string(free_port());
    o.http = "127.0.0.1:" + std::to_string(free_port());
  }
  std::vector<Member> members;
  const std::string data = std::filesystem::absolute(o.data_dir).string();
  std::string brokers = o.external_broker;

  std::map<std::string, std::string> common = o.env;
  common.emplace("VELOCITY_DATA_DIR", data);
  common.emplace("VELOCITY_LOG_FORMAT", "text");

  if (brokers.empty()) {
    auto listen = fixed_endpoint(o.broker_listen);
    if (!listen) return std::unexpected(listen.error());
    brokers = o.broker_listen;
    Member broker;
    broker.name = broker.group = "broker";
    broker.stage = 0;
    broker.spec.argv = {(o.bin_dir / "velocity-broker").string(), "--listen", o.broker_listen, "--data-dir",
                        data + "/broker", "--group-initial-rebalance-delay-ms", "0"};
    broker.spec.env = common;
    broker.host = listen->host;
    broker.port = listen->port;
    broker.ready_path.clear();
    members.push_back(std::move(broker));
  }
  common["VELOCITY_BROKERS"] = brokers;

  std::map<std::string, std::string> gateway_env = common;
  for (const auto& service : kServices) {
    const auto it = o.scale.find(service.name);
    const int instances = it == o.scale.end() ? 1 : it->second;
    for (int i = 1; i <= instances; ++i) {
      Member m;
      m.group = service.name;
      m.name = i == 1 ? service.name : std::string(service.name) + "." + std::to_string(i);
      m.stage = 1;
      m.port = i == 1 && !o.free_ports ? service.port : free_port();
      m.spec.argv = {(o.bin_dir / ("velocity-" + std::string(service.name))).string()};
      m.spec.env = common;
      m.spec.env["VELOCITY_HTTP_ADDR"] = "127.0.0.1:" + std::to_string(m.port);
      if (i > 1) {
        // One instance publishes the shared database's outbox and fires its timers.
        m.spec.env["VELOCITY_OUTBOX_RELAY"] = "false";
        m.spec.env["VELOCITY_TIMERS"] = "false";
      }
      if (i == 1) {
        std::string upper = service.name;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        gateway_env["VELOCITY_" + upper + "_ADDR"] = "127.0.0.1:" + std::to_string(m.port);
      }
      members.push_back(std::move(m));
    }
  }

  auto http = fixed_endpoint(o.http);
  if (!http) return std::unexpected(http.error());
  Member gateway;
  gateway.name = gateway.group = "gateway";
  gateway.stage = 2;
  gateway.host = http->host == "0.0.0.0" ? "127.0.0.1" : http->host;
  gateway.port = http->port;
  gateway.spec.argv = {(o.bin_dir / "velocity-gateway").string()};
  gateway.spec.env = gateway_env;
  gateway.spec.env["VELOCITY_HTTP_ADDR"] = o.http;
  gateway.spec.env["VELOCITY_WEB_DIR"] = std::filesystem::absolute(o.web_dir).string();
  members.push_back(std::move(gateway));
  return members;
}

int run_up(UpOptions o) {
  LogMux log(o.log);
  auto lock = DataDirLock::acquire(o.data_dir);
  if (!lock) {
    std::cerr << "velocity up: " << lock.error().context << '\n';
    return 1;
  }
  if (o.fresh) {
    if (auto emptied = empty_data_dir(o.data_dir); !emptied) {
      std::cerr << "velocity up: " << emptied.error().context << '\n';
      return 1;
    }
    log.note("--fresh: emptied " + o.data_dir.string());
  }
  auto members = plan(o);
  if (!members) {
    std::cerr << "velocity up: " << members.error().context << '\n';
    return 2;
  }
  for (const auto& m : *members) {
    if (::access(m.spec.argv[0].c_str(), X_OK) != 0) {
      std::cerr << "velocity up: " << m.spec.argv[0] << " is missing; run `make build` first\n";
      return 1;
    }
    if (m.port != 0 && tcp_accepts(m.host, m.port, std::chrono::milliseconds(300))) {
      std::cerr << "velocity up: " << m.host << ":" << m.port << " (for " << m.name
                << ") is already in use by another program\n";
      return 1;
    }
  }

  struct sigaction action{};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  o.supervisor.state_file = o.data_dir / "velocity.state.json";
  // Where the bus is, for `velocity status` to ask about consumer lag.
  std::string brokers = o.external_broker;
  for (const auto& m : *members) {
    if (brokers.empty() && m.name == "broker") brokers = m.host + ":" + std::to_string(m.port);
  }
  o.supervisor.state_extra["brokers"] = brokers;
  Supervisor supervisor(std::move(*members), o.supervisor, log);
  log.note("starting the store in " + std::filesystem::absolute(o.data_dir).string());
  if (auto started = supervisor.start(g_stop); !started) {
    log.note("could not start: " + started.error().message());
    return g_stop.load() ? 0 : 1;
  }
  const auto data = std::filesystem::absolute(o.data_dir);
  log.note("");
  log.note("the store is open:  http://" + o.http);
  log.note("data:               " + data.string());
  if (o.env.contains("VELOCITY_SMTP_URL")) {
    log.note("mail:               over SMTP to " + o.env.at("VELOCITY_SMTP_URL"));
  } else {
    log.note("mail:               " + (data / "notifications" / "mail").string() + " (.eml files)");
  }
  log.note("broker:             " + (o.external_broker.empty() ? o.broker_listen : o.external_broker));
  log.note("stop with Ctrl-C; `velocity status` shows the processes");
  log.note("");
  supervisor.supervise(g_stop);
  log.note("stopping");
  supervisor.stop();
  log.note("stopped");
  return 0;
}

int run_status(const std::filesystem::path& data_dir, bool json, const LagProbe& probe) {
  const auto path = data_dir / "velocity.state.json";
  std::ifstream in(path);
  nlohmann::json state = nlohmann::json::parse(in, nullptr, false);
  if (!in.is_open() || state.is_discarded() || !state.contains("supervisor_pid") ||
      ::kill(state["supervisor_pid"].get<pid_t>(), 0) != 0) {
    if (json) {
      std::cout << nlohmann::json{{"running", false}, {"data_dir", data_dir.string()}}.dump() << '\n';
    } else {
      std::cerr << "nothing is running on " << data_dir.string() << " (start it with `velocity up`)\n";
    }
    return 1;
  }
  std::vector<std::string> groups;  // the services' consumer groups, each named after its service
  for (auto& p : state["processes"]) {
    const pid_t pid = p.value("pid", 0);
    const bool alive = pid > 0 && ::kill(pid, 0) == 0;
    std::string health = "down";
    if (alive) {
      const auto port = p.value("port", 0);
      const std::string ready_path = p.value("ready_path", "/readyz");
      if (port == 0) {
        health = "up";
      } else if (ready_path.empty()) {
        health = tcp_accepts(p.value("host", "127.0.0.1"), static_cast<uint16_t>(port),
                             std::chrono::milliseconds(500))
                     ? "up"
                     : "not accepting";
      } else {
        const int status = http_get_status(p.value("host", "127.0.0.1"), static_cast<uint16_t>(port), ready_path,
                                           std::chrono::milliseconds(1000));
        health = status == 200 ? "ready" : status == 0 ? "no answer" : "not ready (" + std::to_string(status) + ")";
      }
    }
    p["health"] = health;
    const std::string service = p.value("service", "");
    const bool consumes = std::ranges::any_of(kServices, [&](const ServiceInfo& s) { return service == s.name; });
    if (consumes && std::ranges::find(groups, service) == groups.end()) groups.push_back(service);
  }

  std::map<std::string, GroupLag> lags;
  std::string lag_error;
  const std::string brokers = state.value("brokers", "");
  if (probe && !brokers.empty() && !groups.empty()) {
    auto probed = probe(brokers, groups);
    if (probed) {
      lags = std::move(*probed);
    } else {
      lag_error = probed.error().message();
    }
  }
  nlohmann::json group_rows = nlohmann::json::array();
  for (const auto& group : groups) {
    nlohmann::json row{{"group", group}};
    if (const auto it = lags.find(group); it != lags.end()) {
      row.update({{"lag", it->second.lag}, {"partitions", it->second.partitions}, {"state", it->second.state}});
    } else {
      row["lag"] = nullptr;
    }
    group_rows.push_back(std::move(row));
  }
  for (auto& p : state["processes"]) {
    const auto it = lags.find(p.value("service", ""));
    p["lag"] = it == lags.end() ? nlohmann::json() : nlohmann::json(it->second.lag);
  }
  if (json) {
    state["running"] = true;
    state["groups"] = std::move(group_rows);
    if (!lag_error.empty()) state["lag_error"] = lag_error;
    std::cout << state.dump() << '\n';
    return 0;
  }
  std::printf("%-16s %8s  %-12s %8s  %8s  %-22s %s\n", "PROCESS", "PID", "HEALTH", "RESTARTS", "LAG", "ADDRESS",
              "STARTED");
  for (const auto& p : state["processes"]) {
    const std::string address = p.value("host", "") + ":" + std::to_string(p.value("port", 0));
    const std::string lag = p["lag"].is_number() ? std::to_string(p["lag"].get<int64_t>()) : "-";
    std::printf("%-16s %8d  %-12s %8d  %8s  %-22s %s\n", p.value("name", "").c_str(), p.value("pid", 0),
                p.value("health", "").c_str(), p.value("restarts", 0), lag.c_str(), address.c_str(),
                p.value("started_at", "").c_str());
  }
  if (!lag_error.empty()) std::printf("\nconsumer lag unknown: %s\n", lag_error.c_str());
  return 0;
}

}  // namespace velocity::supervisor
