// velocity groups reset-offsets G --topic T (--to-earliest|--to-latest|--to-time T|--shift-by N)
// Plans new committed offsets for every partition of T; commits them only with --execute and
// only while the group has no active members.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/kafka_admin.h"

namespace velocity::cli {
namespace {

struct ResetArgs {
  std::string group;
  std::string topic;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<std::string> to_time;
  std::optional<std::int64_t> shift_by;
  bool dry_run = false;
  bool execute = false;
};

struct PlannedOffset {
  std::int32_t partition = -1;
  std::optional<std::int64_t> current;
  std::int64_t target = -1;
};

std::vector<PlannedOffset> plan(KafkaAdmin& admin, const ResetArgs& args, const OffsetMap& committed) {
  const auto topic = unwrap(admin.describe_topic(args.topic));
  std::map<std::int32_t, std::int64_t> by_time;
  if (args.to_time) {
    std::vector<std::int32_t> ids;
    for (const auto& p : topic.partitions) ids.push_back(p.id);
    by_time = unwrap(admin.offsets_for_time(args.topic, ids, parse_time_ms("--to-time", *args.to_time)));
  }
  std::vector<PlannedOffset> planned;
  for (const auto& p : topic.partitions) {
    PlannedOffset entry;
    entry.partition = p.id;
    if (auto found = committed.find({args.topic, p.id}); found != committed.end()) {
      entry.current = found->second;
    }
    if (args.to_earliest) {
      entry.target = p.low;
    } else if (args.to_latest) {
      entry.target = p.high;
    } else if (args.to_time) {
      // No message at or after the time: the end, so the group reads only what comes next.
      entry.target = by_time[p.id] >= 0 ? by_time[p.id] : p.high;
    } else {
      // Without a commit the shift starts at the earliest offset; the result stays in range.
      entry.target = std::clamp(entry.current.value_or(p.low) + *args.shift_by, p.low, p.high);
    }
    planned.push_back(entry);
  }
  return planned;
}

void reset_offsets(const Globals& globals, const ResetArgs& args) {
  const int modes = int{args.to_earliest} + int{args.to_latest} + int{args.to_time.has_value()} +
                    int{args.shift_by.has_value()};
  if (modes != 1) {
    throw UsageError("reset-offsets needs exactly one of --to-earliest, --to-latest, --to-time, --shift-by");
  }
  if (args.dry_run && args.execute) throw UsageError("--dry-run and --execute exclude each other");
  if (args.to_time) (void)parse_time_ms("--to-time", *args.to_time);  // usage errors first

  auto admin = unwrap(KafkaAdmin::connect(globals));
  const auto committed = unwrap(admin.committed_offsets(args.group));
  const auto planned = plan(admin, args, committed);
  if (args.execute) {
    const auto group = unwrap(admin.describe_group(args.group));
    if (!group.members.empty()) {
      throw OperationError("group " + args.group + " has " + std::to_string(group.members.size()) +
                           " active member(s) (state " + group.state +
                           "); stop its consumers before resetting offsets");
    }
    OffsetMap offsets;
    for (const auto& entry : planned) offsets[{args.topic, entry.partition}] = entry.target;
    unwrap(admin.commit_offsets(args.group, offsets));
  }
  if (globals.format == OutputFormat::kJson) {
    nlohmann::json partitions = nlohmann::json::array();
    for (const auto& entry : planned) {
      partitions.push_back({{"partition", entry.partition},
                            {"current", entry.current ? nlohmann::json(*entry.current) : nlohmann::json()},
                            {"new", entry.target}});
    }
    print_json({{"group", args.group},
                {"topic", args.topic},
                {"executed", args.execute},
                {"partitions", partitions}});
    return;
  }
  Table table({"TOPIC", "PARTITION", "CURRENT", "NEW"});
  for (const auto& entry : planned) {
    table.add({args.topic, std::to_string(entry.partition), or_dash(entry.current),
               std::to_string(entry.target)});
  }
  table.print(std::cout);
  std::cout << (args.execute ? "offsets of group " + args.group + " reset\n"
                             : "dry run: nothing changed; add --execute to commit these offsets\n");
}

}  // namespace

void register_reset_offsets_command(CLI::App& groups, const Globals& globals) {
  auto args = std::make_shared<ResetArgs>();
  auto* cmd = groups.add_subcommand(
      "reset-offsets", "Move a group's committed offsets on one topic (dry run unless --execute)");
  cmd->add_option("group", args->group, "Group id")->required();
  cmd->add_option("--topic", args->topic, "Topic whose partitions to reset")->required();
  cmd->add_flag("--to-earliest", args->to_earliest, "To the earliest offset");
  cmd->add_flag("--to-latest", args->to_latest, "To the latest offset (skip everything)");
  cmd->add_option("--to-time", args->to_time,
                  "To the first message at or after this time (RFC 3339 or epoch ms)");
  cmd->add_option("--shift-by", args->shift_by, "By N (negative: back) from the committed offset");
  cmd->add_flag("--dry-run", args->dry_run, "Print the plan and change nothing (the default)");
  cmd->add_flag("--execute", args->execute,
                "Commit the new offsets; refused while the group has active members");
  cmd->footer(R"(Examples:
  velocity groups reset-offsets billing --topic orders --to-earliest
  velocity groups reset-offsets billing --topic orders --to-earliest --execute
  velocity groups reset-offsets billing --topic orders --shift-by -10 --execute)");
  cmd->callback([&globals, args] { reset_offsets(globals, *args); });
}

}  // namespace velocity::cli
