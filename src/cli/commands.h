// The command groups of the `velocity` tool. main.cpp builds the CLI11 app, adds the global
// options and calls one registration function per group; each adds its subcommands and their
// callbacks. Callbacks read Globals only when they run, after parsing. A callback reports
// failure by throwing UsageError (exit 2) or OperationError (exit 1), see output.h.
#pragma once

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/output.h"

namespace velocity::cli {

struct Globals {
  std::string brokers;  // bootstrap.servers
  OutputFormat format = OutputFormat::kTable;
  std::chrono::milliseconds request_timeout{10000};  // each broker round trip
  bool verbose = false;                              // librdkafka logs on stderr
};

// --brokers, --format, --request-timeout, --verbose, the description and the examples footer.
void add_global_options(CLI::App& app, Globals& globals);

// Parses, runs the chosen command and maps the outcome to the exit code (0, 1 or 2).
int run(CLI::App& app, int argc, char** argv);

void register_topics_commands(CLI::App& app, const Globals& globals);
void register_produce_command(CLI::App& app, const Globals& globals);
void register_consume_command(CLI::App& app, const Globals& globals);
void register_groups_commands(CLI::App& app, const Globals& globals);
void register_dlq_commands(CLI::App& app, const Globals& globals);
// `up` and `status`: the whole store on this machine (up.cpp).
void register_up_commands(CLI::App& app, const Globals& globals);
// `check`: the store's invariants over its data directory (check.cpp).
void register_check_command(CLI::App& app, const Globals& globals);
// `outbox`: each service's outbox backlog from its database (outbox.cpp).
void register_outbox_command(CLI::App& app, const Globals& globals);
// `load`: real orders through the gateway at a fixed rate, with a report (load.cpp).
void register_load_command(CLI::App& app, const Globals& globals);

// `groups reset-offsets`, added by register_groups_commands (reset_offsets.cpp).
void register_reset_offsets_command(CLI::App& groups, const Globals& globals);

}  // namespace velocity::cli
