// `velocity up` and `velocity status`: the whole store on this machine, supervised.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/kafka_admin.h"
#include "cli/lag.h"
#include "supervisor/up.h"

namespace velocity::cli {
namespace {

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : self.parent_path();
}

// The storefront's files: $VELOCITY_WEB_DIR, else web/ of the source tree beside build/bin/,
// else share/velocity/web of an installation.
std::filesystem::path find_web_dir(const std::filesystem::path& bin) {
  if (const char* env = std::getenv("VELOCITY_WEB_DIR"); env && *env) return env;
  for (const auto& candidate : {bin / ".." / ".." / "web", bin / ".." / "share" / "velocity" / "web"}) {
    std::error_code ec;
    if (std::filesystem::exists(candidate / "index.html", ec)) return std::filesystem::weakly_canonical(candidate, ec);
  }
  return bin / ".." / ".." / "web";
}

struct UpArgs {
  std::string data_dir = "var";
  bool fresh = false;
  std::string broker;
  std::string broker_listen = "127.0.0.1:9092";
  std::string http = "127.0.0.1:8080";
  std::vector<std::string> scale;
  std::vector<std::string> env;
  std::vector<std::string> logs;
  bool quiet = false;
  bool no_colour = false;
  std::string smtp;
};

// Each group's lag, asked of the bus the store runs on.
supervisor::LagProbe lag_probe(const Globals& globals) {
  return [&globals](const std::string& brokers, const std::vector<std::string>& groups)
             -> Result<std::map<std::string, supervisor::GroupLag>> {
    Globals asking = globals;
    asking.brokers = brokers;
    asking.request_timeout = std::min(globals.request_timeout, std::chrono::milliseconds(5000));
    auto admin = KafkaAdmin::connect(asking);
    if (!admin) return std::unexpected(admin.error());
    std::map<std::string, supervisor::GroupLag> lags;
    try {
      for (const auto& name : groups) {
        auto committed = admin->committed_offsets(name);
        if (!committed) return std::unexpected(committed.error());
        auto group = admin->describe_group(name);
        if (!group) return std::unexpected(group.error());
        supervisor::GroupLag& lag = lags[name];
        lag.state = group->state;
        for (const auto& row : lag_rows(*admin, *group, *committed)) {
          lag.lag += row.lag();
          ++lag.partitions;
        }
      }
    } catch (const OperationError& e) {
      return fail(ErrorCode::kIo, e.what());
    }
    return lags;
  };
}

}  // namespace

void register_up_commands(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<UpArgs>();
  auto* up = app.add_subcommand("up", "Run the whole store here: broker, services and storefront");
  up->add_option("--data-dir", args->data_dir, "Where every process keeps its data")->capture_default_str();
  up->add_flag("--fresh", args->fresh, "Start from an empty data directory");
  up->add_option("--broker", args->broker,
                 "Use this Kafka-compatible cluster (HOST:PORT[,...]) instead of starting velocity-broker");
  up->add_option("--broker-listen", args->broker_listen, "Where the embedded broker listens")
      ->capture_default_str();
  up->add_option("--http", args->http, "Where the storefront listens")->capture_default_str();
  up->add_option("--scale", args->scale, "Run N instances of a service in one consumer group: SERVICE=N")
      ->type_name("SERVICE=N");
  up->add_option("--logs", args->logs, "Show only these processes' logs (comma-separated)")->delimiter(',');
  up->add_flag("--quiet,-q", args->quiet, "Hide the processes' logs; show only start, restarts and stop");
  up->add_flag("--no-color", args->no_colour, "Plain log prefixes");
  up->add_option("--smtp", args->smtp, "Send mail over SMTP (smtp://HOST:PORT) instead of writing .eml files");
  up->add_option("--env", args->env, "Extra environment for every process: NAME=VALUE")->type_name("NAME=VALUE");
  up->footer(R"(Examples:
  velocity up                                   # everything on embedded defaults, store at http://127.0.0.1:8080
  velocity up --fresh --scale inventory=3       # empty data, three inventory instances sharing the work
  velocity up --broker kafka-1:9092 --quiet     # on an existing Kafka cluster
  velocity up --env VELOCITY_SHIPPING_DISPATCH_AFTER=1s --env VELOCITY_SHIPPING_DELIVER_AFTER=2s)");
  up->callback([args] {
    supervisor::UpOptions o;
    o.data_dir = args->data_dir;
    o.fresh = args->fresh;
    o.external_broker = args->broker;
    o.broker_listen = args->broker_listen;
    o.http = args->http;
    for (const auto& s : args->scale) {
      if (auto parsed = supervisor::parse_scale(s, o.scale); !parsed) throw UsageError(parsed.error().message());
    }
    for (const auto& e : args->env) {
      const auto eq = e.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("--env takes NAME=VALUE (got '" + e + "')");
      o.env[e.substr(0, eq)] = e.substr(eq + 1);
    }
    if (!args->smtp.empty()) o.env["VELOCITY_SMTP_URL"] = args->smtp;
    o.bin_dir = executable_dir();
    o.web_dir = find_web_dir(o.bin_dir);
    o.log.colour = !args->no_colour && ::isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
    o.log.quiet = args->quiet;
    o.log.only = {args->logs.begin(), args->logs.end()};
    // run_up has said what went wrong; only its exit code is left to pass on.
    if (const int code = supervisor::run_up(std::move(o)); code != 0) std::exit(code);
  });

  auto status_dir = std::make_shared<std::string>("var");
  auto* status = app.add_subcommand(
      "status", "Show what `velocity up` runs: processes, pids, health, restarts, consumer lag");
  status->add_option("--data-dir", *status_dir, "The data directory of that `velocity up`")->capture_default_str();
  status->footer(R"(LAG is the consumer lag of the process's service: messages on the bus its consumer group
has still to read, summed over partitions (instances of one service share the group). It is asked
of the bus `velocity up` runs on; "-" when the bus does not answer.

Examples:
  velocity status
  velocity status --data-dir /srv/shop --format json)");
  status->callback([status_dir, &globals] {
    if (const int code = supervisor::run_status(*status_dir, globals.format == OutputFormat::kJson, lag_probe(globals));
        code != 0)
      std::exit(code);
  });
}

}  // namespace velocity::cli
