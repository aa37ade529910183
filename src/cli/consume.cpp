// velocity consume TOPIC: messages as lines of a template or as JSON objects.
#include <iostream>
#include <memory>
#include <variant>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/kafka_admin.h"
#include "cli/record_reader.h"

namespace velocity::cli {
namespace {

constexpr std::string_view kDefaultTemplate = "{partition}\\t{offset}\\t{key}\\t{value}";

struct ConsumeArgs {
  std::string topic;
  std::optional<std::string> offset;
  std::optional<std::string> from_time;
  std::optional<std::int64_t> count;
  std::optional<std::string> timeout;
  std::optional<std::string> group;
  std::optional<std::int32_t> partition;
  std::optional<std::string> format;
};

// A --format template, split into literal text and fields once.
class LineTemplate {
 public:
  explicit LineTemplate(std::string_view text) {
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '\\' && i + 1 < text.size() && (text[i + 1] == 'n' || text[i + 1] == 't')) {
        literal += text[++i] == 'n' ? '\n' : '\t';
      } else if (c == '{') {
        const auto close = text.find('}', i);
        if (close == std::string_view::npos) {
          throw UsageError("--format: '{' without '}' in '" + std::string(text) + "'");
        }
        const std::string field(text.substr(i + 1, close - i - 1));
        if (!known(field)) {
          throw UsageError("--format: unknown field {" + field +
                           "}; fields are {topic} {partition} {offset} {timestamp} {key} {value} "
                           "{header.NAME}");
        }
        parts_.emplace_back(std::move(literal));
        literal.clear();
        parts_.emplace_back(Field{field});
        i = close;
      } else {
        literal += c;
      }
    }
    parts_.emplace_back(std::move(literal));
  }

  std::string render(const Record& record) const {
    std::string line;
    for (const auto& part : parts_) {
      if (const auto* literal = std::get_if<std::string>(&part)) {
        line += *literal;
      } else {
        line += value_of(std::get<Field>(part).name, record);
      }
    }
    return line;
  }

 private:
  struct Field {
    std::string name;
  };

  static bool known(const std::string& field) {
    return field == "topic" || field == "partition" || field == "offset" ||
           field == "timestamp" || field == "key" || field == "value" ||
           (field.starts_with("header.") && field.size() > 7);
  }

  static std::string value_of(const std::string& field, const Record& record) {
    if (field == "topic") return record.topic;
    if (field == "partition") return std::to_string(record.partition);
    if (field == "offset") return std::to_string(record.offset);
    if (field == "timestamp") return std::to_string(record.timestamp_ms);
    if (field == "key") return record.key.value_or("");
    if (field == "value") return record.value.value_or("");
    return std::string(record.header(std::string_view(field).substr(7)).value_or(""));
  }

  std::vector<std::variant<std::string, Field>> parts_;
};

void consume(const Globals& globals, const ConsumeArgs& args) {
  ReadOptions options;
  options.topic = args.topic;
  options.group = args.group;
  options.partition = args.partition;
  if (args.offset && args.from_time) throw UsageError("--offset and --from-time exclude each other");
  if (args.offset) options.start = parse_start_offset("--offset", *args.offset);
  if (args.from_time) {
    options.start = StartPosition{StartPosition::Kind::kTime, parse_time_ms("--from-time", *args.from_time)};
  }
  if (args.count) {
    if (*args.count <= 0) throw UsageError("--count: must be at least 1");
    options.count = static_cast<std::uint64_t>(*args.count);
  }
  if (args.timeout) options.idle_timeout = parse_duration("--timeout", *args.timeout);
  if (args.group && args.partition) {
    throw UsageError("--partition reads without a group; a group's partitions are assigned by the broker");
  }
  const bool json = args.format ? *args.format == "json" : globals.format == OutputFormat::kJson;
  std::optional<LineTemplate> line;
  if (!json) line.emplace(args.format && *args.format != "table" ? *args.format : kDefaultTemplate);

  auto admin = unwrap(KafkaAdmin::connect(globals));
  unwrap(read_records(admin, globals, options, [&](const Record& record) {
    if (json) {
      std::cout << to_json_line(record_json(record)) << '\n';
    } else {
      std::cout << line->render(record) << '\n';
    }
    std::cout.flush();
  }));
}

}  // namespace

void register_consume_command(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<ConsumeArgs>();
  auto* cmd = app.add_subcommand("consume", "Read messages of a topic");
  cmd->add_option("topic", args->topic, "Topic to read")->required();
  cmd->add_option("-o,--offset", args->offset,
                  "Start at earliest, latest or offset N (in every partition read); default: "
                  "earliest, or the group's committed position");
  cmd->add_option("--from-time", args->from_time,
                  "Start at the first message at or after this time: RFC 3339 or epoch milliseconds");
  cmd->add_option("-c,--count", args->count, "Exit after this many messages");
  cmd->add_option("-t,--timeout", args->timeout,
                  "Exit after no message arrived for this long (500ms, 5s, 2m)");
  cmd->add_option("-g,--group", args->group,
                  "Read as a member of this consumer group and commit what was read");
  cmd->add_option("-p,--partition", args->partition, "Read only this partition (not with --group)");
  cmd->add_option("-f,--format", args->format,
                  "json (one object per line), or a template of {topic} {partition} {offset} "
                  "{timestamp} {key} {value} {header.NAME}; \\t and \\n allowed");
  cmd->footer(R"(Without --count or --timeout it follows the topic until Ctrl-C.
JSON lines hold topic, partition, offset, timestamp (epoch ms), key, value and headers
(name -> value; null for absent key, value or header value).

Examples:
  velocity consume orders --offset earliest --count 10
  velocity consume orders --format '{offset} {key} {value} {header.ce_type}' --timeout 5s
  velocity consume orders --from-time 2024-05-01T12:00:00Z --format json | jq .value
  velocity consume orders --group audit --timeout 10s)");
  cmd->callback([&globals, args] { consume(globals, *args); });
}

}  // namespace velocity::cli
