#include "cli/lag.h"

#include <set>

namespace velocity::cli {

std::vector<LagRow> lag_rows(KafkaAdmin& admin, const GroupInfo& group, const OffsetMap& committed) {
  std::set<std::string> topics;
  for (const auto& [where, offset] : committed) topics.insert(where.first);
  for (const auto& member : group.members) {
    for (const auto& [topic, partition] : member.assignment) topics.insert(topic);
  }
  std::vector<LagRow> rows;
  for (const auto& name : topics) {
    auto topic = admin.describe_topic(name);
    if (!topic) {
      if (topic.error().code == ErrorCode::kNotFound) continue;  // deleted since the commit
      throw OperationError(topic.error().context);
    }
    for (const auto& p : topic->partitions) {
      LagRow row{name, p.id, std::nullopt, p.low, p.high};
      if (auto found = committed.find({name, p.id}); found != committed.end()) {
        row.committed = found->second;
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace velocity::cli
