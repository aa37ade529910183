// `velocity outbox`: each service's outbox backlog, read read-only from its SQLite database —
// rows waiting to be published, the age of the oldest, and published rows awaiting clean-up.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checker/outbox_backlog.h"
#include "cli/commands.h"
#include "supervisor/up.h"

namespace velocity::cli {
namespace {

using Backlog = checker::OutboxBacklogRow;

std::string age_text(std::int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 120'000) return std::to_string(ms / 1000) + "s";
  if (ms < 7'200'000) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 3'600'000) + "h";
}

}  // namespace

void register_outbox_command(CLI::App& app, const Globals& globals) {
  struct Args {
    std::string data_dir = "var";
    std::vector<std::string> services;
  };
  auto args = std::make_shared<Args>();
  auto* outbox = app.add_subcommand("outbox", "Show each service's outbox backlog (read-only, from its database)");
  outbox->add_option("--data-dir", args->data_dir, "The data directory of the store")->capture_default_str();
  outbox->add_option("services", args->services, "Only these services (default: all)");
  outbox->footer(R"(PENDING rows are committed events not yet on the bus; OLDEST is the age of the first of
them; PUBLISHED rows are on the bus and wait for the relay's clean-up.
Exit code 1 when a database cannot be read.

Examples:
  velocity outbox
  velocity outbox orders payments --data-dir /srv/shop --format json)");
  outbox->callback([args, &globals] {
    std::vector<std::string> services;
    for (const auto& s : supervisor::kServices) services.emplace_back(s.name);
    if (!args->services.empty()) {
      for (const auto& wanted : args->services) {
        if (std::ranges::find(services, wanted) == services.end()) {
          throw UsageError("no service is called '" + wanted + "'");
        }
      }
      services = args->services;
    }
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::vector<Backlog> backlogs;
    bool failed = false;
    for (const auto& service : services) {
      backlogs.push_back(checker::read_outbox_backlog(args->data_dir, service, now_ms));
      failed = failed || backlogs.back().error.has_value();
    }
    if (globals.format == OutputFormat::kJson) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& b : backlogs) {
        nlohmann::json row{{"service", b.service}, {"database", b.database}};
        if (b.error) {
          row["error"] = *b.error;
        } else {
          row.update({{"pending", b.pending},
                      {"oldest_pending_age_ms", b.oldest_pending_age_ms},
                      {"max_attempts", b.max_attempts},
                      {"published", b.published}});
        }
        out.push_back(std::move(row));
      }
      print_json(out);
    } else {
      Table table({"SERVICE", "PENDING", "OLDEST", "ATTEMPTS", "PUBLISHED"});
      for (const auto& b : backlogs) {
        if (b.error) continue;
        table.add({b.service, std::to_string(b.pending), b.pending ? age_text(b.oldest_pending_age_ms) : "-",
                   std::to_string(b.max_attempts), std::to_string(b.published)});
      }
      table.print(std::cout);
      for (const auto& b : backlogs) {
        if (b.error) std::cerr << "velocity outbox: " << b.service << ": " << *b.error << '\n';
      }
    }
    if (failed) std::exit(kExitFailed);
  });
}

}  // namespace velocity::cli
