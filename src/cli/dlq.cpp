// velocity dlq list | show TOPIC.dlq | redrive TOPIC.dlq (--offset N | --all)
// Dead letters are written by the toolkit's router; their provenance headers and the redrive
// (with its loop guard) are the toolkit's own, see velocity/dead_letter.h.
#include <iostream>
#include <memory>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/kafka_admin.h"
#include "cli/record_reader.h"
#include "velocity/dead_letter.h"
#include "velocity/kafka_bus.h"

namespace velocity::cli {
namespace {

constexpr std::string_view kDlqSuffix = ".dlq";

void require_dlq_name(const std::string& topic) {
  if (!topic.ends_with(kDlqSuffix) || topic.size() == kDlqSuffix.size()) {
    throw UsageError("'" + topic + "' is not a dead-letter topic (TOPIC.dlq)");
  }
}

void list_dlqs(const Globals& globals) {
  auto admin = unwrap(KafkaAdmin::connect(globals));
  nlohmann::json out = nlohmann::json::array();
  Table table({"DLQ", "PARTITIONS", "MESSAGES"});
  for (const auto& listed : unwrap(admin.list_topics())) {
    if (!listed.name.ends_with(kDlqSuffix)) continue;
    const auto topic = unwrap(admin.describe_topic(listed.name));
    std::int64_t messages = 0;
    for (const auto& p : topic.partitions) messages += p.high - p.low;
    out.push_back({{"topic", topic.name}, {"partitions", topic.partitions.size()}, {"messages", messages}});
    table.add({topic.name, std::to_string(topic.partitions.size()), std::to_string(messages)});
  }
  if (globals.format == OutputFormat::kJson) {
    print_json(out);
  } else {
    table.print(std::cout);
  }
}

// The provenance headers of a dead letter, by their names without the "velocity_" prefix.
nlohmann::json provenance_json(const Record& record) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto name : {kOriginalTopicHeader, kOriginalPartitionHeader, kOriginalOffsetHeader,
                          kErrorHeader, kAttemptsHeader, kFirstFailureHeader, kLastFailureHeader,
                          kRedriveCountHeader}) {
    const auto value = record.header(name);
    std::string field(name.substr(name.find('_') + 1));
    out[field] = value ? nlohmann::json(std::string(*value)) : nlohmann::json();
  }
  return out;
}

struct ShowArgs {
  std::string topic;
  std::optional<std::int64_t> count;
};

void show_dlq(const Globals& globals, const ShowArgs& args) {
  require_dlq_name(args.topic);
  auto admin = unwrap(KafkaAdmin::connect(globals));
  ReadOptions options;
  options.topic = args.topic;
  options.start = StartPosition{StartPosition::Kind::kEarliest, 0};
  options.stop_at_end = true;
  if (args.count) options.count = static_cast<std::uint64_t>(std::max<std::int64_t>(*args.count, 1));
  const bool json = globals.format == OutputFormat::kJson;
  Table table({"PARTITION", "OFFSET", "ORIGIN", "ATTEMPTS", "REDRIVES", "LAST FAILURE", "KEY", "ERROR"});
  unwrap(read_records(admin, globals, options, [&](const Record& record) {
    if (json) {
      auto line = record_json(record);
      line["provenance"] = provenance_json(record);
      std::cout << to_json_line(line) << '\n';
      return;
    }
    auto header = [&](std::string_view name) { return std::string(record.header(name).value_or("-")); };
    table.add({std::to_string(record.partition), std::to_string(record.offset),
               header(kOriginalTopicHeader) + "/" + header(kOriginalPartitionHeader) + "/" +
                   header(kOriginalOffsetHeader),
               header(kAttemptsHeader), std::string(record.header(kRedriveCountHeader).value_or("0")),
               header(kLastFailureHeader), record.key.value_or("-"), header(kErrorHeader)});
  }));
  if (!json) table.print(std::cout);
}

struct RedriveArgs {
  std::string topic;
  std::optional<std::int64_t> offset;
  std::optional<std::int32_t> partition;
  bool all = false;
  int max_redrives = 3;
  std::string idle_timeout = "10s";
};

void redrive_dlq(const Globals& globals, const RedriveArgs& args) {
  require_dlq_name(args.topic);
  if (args.all == args.offset.has_value()) throw UsageError("redrive needs exactly one of --offset N or --all");
  if (args.partition && !args.offset) throw UsageError("--partition goes with --offset");
  RedriveOptions options;
  options.dlq_topic = args.topic;
  options.offset = args.offset;
  options.partition = args.partition;
  options.max_redrives = args.max_redrives;
  options.idle_timeout = parse_duration("--idle-timeout", args.idle_timeout);

  {
    auto admin = unwrap(KafkaAdmin::connect(globals));
    unwrap(admin.require_topic(args.topic));
  }
  KafkaBusConfig config;
  config.bootstrap_servers = globals.brokers;
  config.client_id = "velocity-cli";
  config.properties = quiet_properties(globals);
  auto bus = unwrap(KafkaBus::connect(std::move(config)));
  const auto report = unwrap(redrive(*bus, *bus, options));
  if (globals.format == OutputFormat::kJson) {
    print_json({{"topic", args.topic},
                {"redriven", report.redriven},
                {"refused", report.refused},
                {"last_refusal", report.last_refusal.empty() ? nlohmann::json()
                                                             : nlohmann::json(report.last_refusal)}});
    return;
  }
  std::cout << "redriven " << report.redriven << " message(s) from " << args.topic;
  if (report.refused > 0) {
    std::cout << "; refused " << report.refused << " (they stay in the DLQ), last: "
              << report.last_refusal;
  }
  std::cout << '\n';
}

}  // namespace

void register_dlq_commands(CLI::App& app, const Globals& globals) {
  auto* dlq = app.add_subcommand("dlq", "Dead-letter topics (TOPIC.dlq): list, show, redrive");
  dlq->require_subcommand(1);
  dlq->footer(R"(Examples:
  velocity dlq list
  velocity dlq show orders.dlq --format json
  velocity dlq redrive orders.dlq --offset 42
  velocity dlq redrive orders.dlq --all)");

  auto* list = dlq->add_subcommand("list", "Topics ending in .dlq with their message counts");
  list->callback([&globals] { list_dlqs(globals); });

  auto show_args = std::make_shared<ShowArgs>();
  auto* show = dlq->add_subcommand("show", "Dead letters with where they came from and why they failed");
  show->add_option("topic", show_args->topic, "Dead-letter topic, e.g. orders.dlq")->required();
  show->add_option("-c,--count", show_args->count, "Show at most this many");
  show->callback([&globals, show_args] { show_dlq(globals, *show_args); });

  auto redrive_args = std::make_shared<RedriveArgs>();
  auto* redrive_cmd = dlq->add_subcommand(
      "redrive", "Put dead letters back on their original topic (provenance removed, redrive count + 1)");
  redrive_cmd->add_option("topic", redrive_args->topic, "Dead-letter topic, e.g. orders.dlq")->required();
  redrive_cmd->add_option("-o,--offset", redrive_args->offset, "Only the dead letter at this offset");
  redrive_cmd->add_option("-p,--partition", redrive_args->partition, "Its partition (with --offset)");
  redrive_cmd->add_flag("--all", redrive_args->all,
                        "Every dead letter not redriven by an earlier --all (group TOPIC.dlq.redrive)");
  redrive_cmd->add_option("--max-redrives", redrive_args->max_redrives,
                          "Loop guard: refuse events already redriven this often")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  redrive_cmd->add_option("--idle-timeout", redrive_args->idle_timeout,
                          "Stop reading the DLQ after no message arrived for this long")
      ->capture_default_str();
  redrive_cmd->callback([&globals, redrive_args] { redrive_dlq(globals, *redrive_args); });
}

}  // namespace velocity::cli
