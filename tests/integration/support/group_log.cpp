#include "support/group_log.h"

#include <algorithm>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace velocity::testing {

std::vector<MemberEvent> parse_member_log(const std::string& text) {
  std::vector<MemberEvent> events;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // no newline: cut by a kill, or not yet finished
    std::istringstream line(text.substr(start, end - start));
    start = end + 1;
    char tag = 0;
    MemberEvent e;
    if (!(line >> tag >> e.t_ns)) continue;
    switch (tag) {
      case 'A': {
        e.kind = MemberEvent::Kind::kAssigned;
        std::string list;
        line >> list;
        std::istringstream items(list);
        for (std::string item; std::getline(items, item, ',');) {
          if (!item.empty()) e.partitions.push_back(std::stoi(item));
        }
        break;
      }
      case 'R': e.kind = MemberEvent::Kind::kRevoked; break;
      case 'C':
      case 'K':
        e.kind = tag == 'C' ? MemberEvent::Kind::kConsumed : MemberEvent::Kind::kCommitted;
        if (!(line >> e.partition >> e.offset)) continue;
        break;
      case 'E': e.kind = MemberEvent::Kind::kCommitFailed; break;
      default: continue;
    }
    events.push_back(std::move(e));
  }
  return events;
}

GroupAudit audit_group(const std::vector<std::vector<MemberEvent>>& members) {
  GroupAudit audit;
  // Every acknowledged commit of the group, per partition, as (time, next offset).
  std::map<std::int32_t, std::vector<std::pair<std::int64_t, std::int64_t>>> commits;
  for (const auto& events : members) {
    for (const auto& e : events) {
      if (e.kind == MemberEvent::Kind::kCommitted) commits[e.partition].emplace_back(e.t_ns, e.offset);
      if (e.kind == MemberEvent::Kind::kCommitFailed) ++audit.failed_commits;
    }
  }
  for (auto& [partition, list] : commits) std::sort(list.begin(), list.end());

  // All deliveries in time order, so "first" and "again" mean what they say.
  struct Delivery {
    std::int64_t t_ns;
    std::size_t member;
    PartitionOffset message;
  };
  std::vector<Delivery> deliveries;
  for (std::size_t m = 0; m < members.size(); ++m) {
    for (const auto& e : members[m]) {
      if (e.kind == MemberEvent::Kind::kConsumed) deliveries.push_back({e.t_ns, m, {e.partition, e.offset}});
    }
  }
  std::sort(deliveries.begin(), deliveries.end(),
            [](const Delivery& a, const Delivery& b) { return a.t_ns < b.t_ns; });
  audit.deliveries = deliveries.size();
  for (const auto& d : deliveries) {
    if (audit.consumed.insert(d.message).second) continue;
    ++audit.duplicates[d.message];
    // A redelivery is legitimate only while no commit past this message had been acknowledged.
    for (const auto& [t, next] : commits[d.message.first]) {
      if (t >= d.t_ns) break;
      if (next > d.message.second) {
        audit.violations.push_back(fmt::format(
            "partition {} offset {} delivered again to member {} {} ms after a commit of offset {}",
            d.message.first, d.message.second, d.member, (d.t_ns - t) / 1'000'000, next));
        audit.violation_partitions.insert(d.message.first);
        break;
      }
    }
  }
  return audit;
}

std::string partition_history(const std::vector<std::vector<MemberEvent>>& members,
                              const std::set<std::int32_t>& partitions) {
  struct Line {
    std::int64_t t_ns;
    std::string text;
  };
  std::vector<Line> lines;
  std::int64_t t0 = -1;
  for (std::size_t m = 0; m < members.size(); ++m) {
    std::map<std::int32_t, std::int64_t> last_consumed;
    for (const auto& e : members[m]) {
      if (t0 < 0 || e.t_ns < t0) t0 = e.t_ns;
      switch (e.kind) {
        case MemberEvent::Kind::kAssigned:
          lines.push_back({e.t_ns, fmt::format("member {} assigned {}", m, fmt::join(e.partitions, ","))});
          break;
        case MemberEvent::Kind::kRevoked:
          lines.push_back({e.t_ns, fmt::format("member {} revoked all", m)});
          break;
        case MemberEvent::Kind::kCommitFailed:
          lines.push_back({e.t_ns, fmt::format("member {} commit failed", m)});
          break;
        case MemberEvent::Kind::kCommitted:
          if (partitions.contains(e.partition)) {
            lines.push_back({e.t_ns, fmt::format("member {} committed {} next {}", m, e.partition, e.offset)});
          }
          break;
        case MemberEvent::Kind::kConsumed: {
          auto [it, first] = last_consumed.try_emplace(e.partition, e.offset);
          if (partitions.contains(e.partition) && (first || it->second + 1 != e.offset)) {
            lines.push_back({e.t_ns, fmt::format("member {} consumed {} from offset {}", m, e.partition, e.offset)});
          }
          it->second = e.offset;
          break;
        }
      }
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.t_ns < b.t_ns; });
  std::string text;
  for (const auto& line : lines) {
    text += fmt::format("{:>8} ms  {}\n", (line.t_ns - t0) / 1'000'000, line.text);
  }
  return text;
}

std::vector<std::int32_t> last_assignment(const std::vector<MemberEvent>& events) {
  std::vector<std::int32_t> current;
  for (const auto& e : events) {
    if (e.kind == MemberEvent::Kind::kAssigned) current = e.partitions;
    if (e.kind == MemberEvent::Kind::kRevoked) current.clear();
  }
  return current;
}

std::map<std::int32_t, std::int64_t> last_commits(const std::vector<MemberEvent>& events) {
  std::map<std::int32_t, std::int64_t> result;
  for (const auto& e : events) {
    if (e.kind == MemberEvent::Kind::kCommitted) {
      result[e.partition] = std::max(result[e.partition], e.offset);
    }
  }
  return result;
}

}  // namespace velocity::testing
