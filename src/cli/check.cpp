// `velocity check`: the store's invariant checker over a data directory (src/checker).
#include <cstdlib>
#include <iostream>

#include "checker/checker.h"
#include "cli/commands.h"

namespace velocity::cli {

void register_check_command(CLI::App& app, const Globals& globals) {
  auto data_dir = std::make_shared<std::string>("var");
  auto* check = app.add_subcommand("check", "Verify the store's invariants in its databases (read-only)");
  check->add_option("--data-dir", *data_dir, "The data directory of the store")->capture_default_str();
  check->footer(R"(Run it when the store is quiet: orders still in flight show as violations.
Exit code 0 when every invariant holds, 1 otherwise.

Examples:
  velocity check
  velocity check --data-dir /srv/shop --format json)");
  check->callback([data_dir, &globals] {
    const auto verdict = checker::check_store(*data_dir);
    if (globals.format == OutputFormat::kJson) {
      std::cout << verdict.to_json().dump() << '\n';
    } else {
      std::cout << verdict.to_text();
    }
    if (!verdict.ok()) std::exit(kExitFailed);
  });
}

}  // namespace velocity::cli
