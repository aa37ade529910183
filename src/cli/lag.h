// A consumer group's lag per partition, for `groups describe|lag` and `status`.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/kafka_admin.h"

namespace velocity::cli {

struct LagRow {
  std::string topic;
  std::int32_t partition = -1;
  std::optional<std::int64_t> committed;
  std::int64_t low = 0;
  std::int64_t high = 0;
  // Messages the group has still to read; the whole partition when nothing is committed.
  std::int64_t lag() const { return high - std::clamp(committed.value_or(low), low, high); }
};

// One row per partition of every topic the group has committed on or is assigned. Throws
// OperationError when a topic cannot be described.
std::vector<LagRow> lag_rows(KafkaAdmin& admin, const GroupInfo& group, const OffsetMap& committed);

}  // namespace velocity::cli
