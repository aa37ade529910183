// A topic's configuration as Kafka clients see it (string keys and values, as in CreateTopics
// and DescribeConfigs) and as the broker uses it (typed fields). Validation lives here so that
// CreateTopics, auto-creation and start-up all apply the same rules. Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/broker_config.h"
#include "common/result.h"

namespace velocity::broker {

struct TopicConfig {
  int64_t segment_bytes = 0;
  int64_t segment_ms = 0;
  int64_t retention_ms = 0;
  int64_t retention_bytes = 0;
  int32_t max_message_bytes = 0;
  std::string cleanup_policy;
  // Every key set explicitly for this topic, as the client wrote it (including keys Kafka
  // knows that we store and report but do not act on, e.g. min.insync.replicas).
  std::map<std::string, std::string> overrides;

  // Defaults, then `overrides` applied. Unknown keys or bad values are kInvalidArgument with
  // a message naming the key.
  [[nodiscard]] static Result<TopicConfig> make(const TopicDefaults& defaults,
                                                const std::map<std::string, std::string>& overrides);
};

struct ConfigEntry {
  std::string name;
  std::string value;
  bool is_default = true;  // false when set on the topic
  bool read_only = false;
};

// Every config DescribeConfigs reports for a topic, sorted by name.
std::vector<ConfigEntry> describe(const TopicConfig& config);

// Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], and not "." or "..".
[[nodiscard]] Result<void> validate_topic_name(std::string_view name);

}  // namespace velocity::broker
