// velocity groups list | describe G | lag G | reset-offsets G --topic T ...
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/kafka_admin.h"
#include "cli/lag.h"

namespace velocity::cli {
namespace {

nlohmann::json lag_json(const std::vector<LagRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) {
    out.push_back({{"topic", row.topic},
                   {"partition", row.partition},
                   {"committed", row.committed ? nlohmann::json(*row.committed) : nlohmann::json()},
                   {"latest", row.high},
                   {"lag", row.lag()}});
  }
  return out;
}

Table lag_table(const std::vector<LagRow>& rows) {
  Table table({"TOPIC", "PARTITION", "COMMITTED", "LATEST", "LAG"});
  for (const auto& row : rows) {
    table.add({row.topic, std::to_string(row.partition), or_dash(row.committed),
               std::to_string(row.high), std::to_string(row.lag())});
  }
  return table;
}

std::string assignment_text(const GroupMember& member) {
  std::string text;
  for (const auto& [topic, partition] : member.assignment) {
    if (!text.empty()) text += ",";
    text += topic + "/" + std::to_string(partition);
  }
  return text.empty() ? "-" : text;
}

// The group as the broker knows it; a group it does not know is an error.
GroupInfo known_group(KafkaAdmin& admin, const std::string& name, const OffsetMap& committed) {
  auto group = unwrap(admin.describe_group(name));
  if (group.state == "Dead" && group.members.empty() && committed.empty()) {
    throw OperationError("group " + name + " does not exist");
  }
  return group;
}

void list_groups(const Globals& globals) {
  auto admin = unwrap(KafkaAdmin::connect(globals));
  const auto groups = unwrap(admin.list_groups());
  if (globals.format == OutputFormat::kJson) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : groups) {
      out.push_back({{"group", g.name}, {"state", g.state}, {"members", g.members.size()}});
    }
    print_json(out);
    return;
  }
  Table table({"GROUP", "STATE", "MEMBERS"});
  for (const auto& g : groups) table.add({g.name, g.state, std::to_string(g.members.size())});
  table.print(std::cout);
}

void describe_group(const Globals& globals, const std::string& name) {
  auto admin = unwrap(KafkaAdmin::connect(globals));
  const auto committed = unwrap(admin.committed_offsets(name));
  const auto group = known_group(admin, name, committed);
  const auto rows = lag_rows(admin, group, committed);
  if (globals.format == OutputFormat::kJson) {
    nlohmann::json members = nlohmann::json::array();
    for (const auto& m : group.members) {
      nlohmann::json assignment = nlohmann::json::array();
      for (const auto& [topic, partition] : m.assignment) {
        assignment.push_back({{"topic", topic}, {"partition", partition}});
      }
      members.push_back({{"member_id", m.member_id},
                         {"client_id", m.client_id},
                         {"host", m.host},
                         {"assignment", assignment}});
    }
    print_json({{"group", group.name},
                {"state", group.state},
                {"assignor", group.assignor},
                {"coordinator", group.coordinator},
                {"members", members},
                {"offsets", lag_json(rows)}});
    return;
  }
  std::cout << "group " << group.name << ": " << group.state << ", " << group.members.size()
            << " member(s)" << (group.assignor.empty() ? "" : ", assignor " + group.assignor)
            << "\n\n";
  if (!group.members.empty()) {
    Table members({"MEMBER", "CLIENT", "HOST", "ASSIGNMENT"});
    for (const auto& m : group.members) {
      members.add({m.member_id, m.client_id, m.host, assignment_text(m)});
    }
    members.print(std::cout);
    std::cout << '\n';
  }
  lag_table(rows).print(std::cout);
}

void group_lag(const Globals& globals, const std::string& name) {
  auto admin = unwrap(KafkaAdmin::connect(globals));
  const auto committed = unwrap(admin.committed_offsets(name));
  const auto group = known_group(admin, name, committed);
  const auto rows = lag_rows(admin, group, committed);
  std::int64_t total = 0;
  for (const auto& row : rows) total += row.lag();
  if (globals.format == OutputFormat::kJson) {
    print_json({{"group", name}, {"total_lag", total}, {"partitions", lag_json(rows)}});
    return;
  }
  lag_table(rows).print(std::cout);
  std::cout << "total lag: " << total << '\n';
}

}  // namespace

void register_groups_commands(CLI::App& app, const Globals& globals) {
  auto* groups = app.add_subcommand("groups", "Consumer groups: members, committed offsets, lag");
  groups->require_subcommand(1);
  groups->footer(R"(Examples:
  velocity groups list
  velocity groups describe billing
  velocity groups lag billing --format json
  velocity groups reset-offsets billing --topic orders --to-time 2024-05-01T00:00:00Z
  velocity groups reset-offsets billing --topic orders --shift-by -10 --execute)");

  auto* list = groups->add_subcommand("list", "Every consumer group with its state");
  list->callback([&globals] { list_groups(globals); });

  auto name = std::make_shared<std::string>();
  auto* describe = groups->add_subcommand("describe", "Members, assignments and offsets of a group");
  describe->add_option("group", *name, "Group id")->required();
  describe->callback([&globals, name] { describe_group(globals, *name); });

  auto* lag = groups->add_subcommand("lag", "Committed offset, latest offset and lag per partition");
  lag->add_option("group", *name, "Group id")->required();
  lag->callback([&globals, name] { group_lag(globals, *name); });

  register_reset_offsets_command(*groups, globals);
}

}  // namespace velocity::cli
