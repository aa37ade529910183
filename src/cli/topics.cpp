// velocity topics list | create | describe | delete
#include <iostream>
#include <map>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/kafka_admin.h"

namespace velocity::cli {
namespace {

std::int64_t message_count(const TopicInfo& topic) {
  std::int64_t total = 0;
  for (const auto& partition : topic.partitions) total += partition.high - partition.low;
  return total;
}

void list_topics(const Globals& globals) {
  auto admin = unwrap(KafkaAdmin::connect(globals));
  const auto topics = unwrap(admin.list_topics());
  if (globals.format == OutputFormat::kJson) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& topic : topics) {
      out.push_back({{"name", topic.name}, {"partitions", topic.partitions.size()}});
    }
    print_json(out);
    return;
  }
  Table table({"TOPIC", "PARTITIONS"});
  for (const auto& topic : topics) table.add({topic.name, std::to_string(topic.partitions.size())});
  table.print(std::cout);
}

struct CreateArgs {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::vector<std::string> configs;
};

void create_topic(const Globals& globals, const CreateArgs& args) {
  std::map<std::string, std::string> configs;
  for (const auto& text : args.configs) configs.insert(parse_key_value("--config", text));
  auto admin = unwrap(KafkaAdmin::connect(globals));
  unwrap(admin.create_topic(args.name, args.partitions, args.replication_factor, configs));
  if (globals.format == OutputFormat::kJson) {
    print_json({{"created", args.name}, {"partitions", args.partitions}, {"configs", configs}});
  } else {
    std::cout << "created topic " << args.name << " with " << args.partitions << " partition(s)\n";
  }
}

void describe_topic(const Globals& globals, const std::string& name) {
  auto admin = unwrap(KafkaAdmin::connect(globals));
  const auto topic = unwrap(admin.describe_topic(name));
  const auto configs = unwrap(admin.topic_configs(name));
  if (globals.format == OutputFormat::kJson) {
    nlohmann::json partitions = nlohmann::json::array();
    for (const auto& p : topic.partitions) {
      partitions.push_back({{"partition", p.id},
                            {"leader", p.leader},
                            {"earliest", p.low},
                            {"latest", p.high},
                            {"messages", p.high - p.low}});
    }
    nlohmann::json config = nlohmann::json::object();
    for (const auto& entry : configs) {
      config[entry.name] = {{"value", entry.value ? nlohmann::json(*entry.value) : nlohmann::json()},
                            {"source", entry.source},
                            {"default", entry.is_default}};
    }
    print_json({{"name", topic.name},
                {"partitions", partitions},
                {"messages", message_count(topic)},
                {"configs", config}});
    return;
  }
  std::cout << "topic " << topic.name << ": " << topic.partitions.size() << " partition(s), "
            << message_count(topic) << " message(s)\n\n";
  Table partitions({"PARTITION", "LEADER", "EARLIEST", "LATEST", "MESSAGES"});
  for (const auto& p : topic.partitions) {
    partitions.add({std::to_string(p.id), std::to_string(p.leader), std::to_string(p.low),
                    std::to_string(p.high), std::to_string(p.high - p.low)});
  }
  partitions.print(std::cout);
  std::cout << '\n';
  Table config({"CONFIG", "VALUE", "SOURCE"});
  for (const auto& entry : configs) {
    config.add({entry.name, entry.value.value_or("-"), entry.source});
  }
  config.print(std::cout);
}

void delete_topic(const Globals& globals, const std::string& name) {
  auto admin = unwrap(KafkaAdmin::connect(globals));
  unwrap(admin.delete_topic(name));
  if (globals.format == OutputFormat::kJson) {
    print_json({{"deleted", name}});
  } else {
    std::cout << "deleted topic " << name << '\n';
  }
}

}  // namespace

void register_topics_commands(CLI::App& app, const Globals& globals) {
  auto* topics = app.add_subcommand("topics", "List, create, describe and delete topics");
  topics->require_subcommand(1);
  topics->footer(R"(Examples:
  velocity topics list
  velocity topics create orders --partitions 3 --config retention.ms=604800000
  velocity topics describe orders --format json
  velocity topics delete orders)");

  auto* list = topics->add_subcommand("list", "Every topic with its partition count");
  list->callback([&globals] { list_topics(globals); });

  auto create_args = std::make_shared<CreateArgs>();
  auto* create = topics->add_subcommand("create", "Create a topic");
  create->add_option("name", create_args->name, "Topic name")->required();
  create->add_option("-p,--partitions", create_args->partitions, "Number of partitions")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  create->add_option("-r,--replication-factor", create_args->replication_factor,
                     "Replicas per partition (velocity-broker has one node: 1)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  create->add_option("-c,--config", create_args->configs, "Topic config KEY=VALUE (repeatable)")
      ->allow_extra_args(false);
  create->callback([&globals, create_args] { create_topic(globals, *create_args); });

  auto name = std::make_shared<std::string>();
  auto* describe = topics->add_subcommand("describe", "Partitions, offsets and configs of a topic");
  describe->add_option("name", *name, "Topic name")->required();
  describe->callback([&globals, name] { describe_topic(globals, *name); });

  auto* remove = topics->add_subcommand("delete", "Delete a topic and its messages");
  remove->add_option("name", *name, "Topic name")->required();
  remove->callback([&globals, name] { delete_topic(globals, *name); });
}

}  // namespace velocity::cli
