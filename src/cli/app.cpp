// The global options and the run loop: parse, run the chosen command, map the outcome to
// the exit code.
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "velocity/kafka_bus.h"

namespace velocity::cli {

void add_global_options(CLI::App& app, Globals& globals) {
  app.name("velocity");
  app.description(
      "Velocity's command-line tool: topics, messages, consumer groups and dead letters on "
      "velocity-broker or any Kafka cluster.");
  app.require_subcommand(1);
  // Global options may also follow the command: `velocity topics list --format json`.
  app.fallthrough();
  globals.brokers = default_bootstrap_servers();
  app.add_option("--brokers", globals.brokers,
                 "Bootstrap brokers HOST:PORT[,HOST:PORT...]; default $VELOCITY_BROKERS, else "
                 "127.0.0.1:9092")
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--format",
         [&globals](const std::string& name) {
           globals.format = name == "json" ? OutputFormat::kJson : OutputFormat::kTable;
         },
         "Output: table (for people) or json (for scripts)")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("table|json")
      ->default_str("table");
  app.add_option_function<std::string>(
         "--request-timeout",
         [&globals](const std::string& text) {
           globals.request_timeout = parse_duration("--request-timeout", text);
           if (globals.request_timeout.count() <= 0) {
             throw UsageError("--request-timeout: must be more than 0");
           }
         },
         "How long to wait for each broker answer (500ms, 5s, ...)")
      ->type_name("DURATION")
      ->default_str("10s");
  app.add_flag("-v,--verbose", globals.verbose, "Show librdkafka's log lines on stderr");
  app.footer(R"(Exit codes: 0 success, 1 the operation failed (broker unreachable, topic missing, ...),
2 usage error.

Examples:
  velocity topics create orders --partitions 3 --config retention.ms=604800000
  velocity topics list --format json
  velocity produce orders --key order-1 --header ce_type=order.placed '{"total":42}'
  seq 3 | velocity produce orders
  velocity consume orders --offset earliest --count 10 --format '{offset} {key} {value}'
  velocity consume orders --from-time 2024-05-01T12:00:00Z --format json
  velocity groups lag billing
  velocity groups reset-offsets billing --topic orders --to-earliest --execute
  velocity dlq show orders.dlq
  velocity dlq redrive orders.dlq --offset 42

Run `velocity COMMAND --help` for the options of a command.)");
}

int run(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    // `velocity frobnicate` would otherwise only say that a subcommand is required.
    if (const auto extra = app.remaining(true); !extra.empty()) {
      std::cerr << "velocity: error: unknown command or argument '" << extra.front()
                << "'\nRun with --help for more information.\n";
      return kExitUsage;
    }
    (void)app.exit(e);
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);  // prints the error and a pointer to --help
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "velocity: error: " << e.what() << "\nRun with --help for more information.\n";
    return kExitUsage;
  } catch (const OperationError& e) {
    std::cerr << "velocity: error: " << e.what() << '\n';
    return kExitFailed;
  }
}

}  // namespace velocity::cli
