#include "broker/core/topic_config.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <set>

namespace velocity::broker {
namespace {

// Kafka topic configs we accept, store and report, but whose behaviour a single-node broker
// either has anyway or does not offer. Rejecting them would break clients that set them by
// habit (e.g. min.insync.replicas); inventing behaviour for them would be worse.
const std::set<std::string, std::less<>> kStoredOnly = {
    "compression.type",        "delete.retention.ms",    "file.delete.delay.ms",
    "flush.messages",          "flush.ms",               "index.interval.bytes",
    "message.downconversion.enable", "message.format.version", "message.timestamp.difference.max.ms",
    "message.timestamp.type",  "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
    "max.compaction.lag.ms",   "min.insync.replicas",    "preallocate",
    "segment.index.bytes",     "segment.jitter.ms",      "unclean.leader.election.enable",
};

Result<int64_t> parse_int(const std::string& key, const std::string& value, int64_t min, int64_t max) {
  int64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return fail(ErrorCode::kInvalidArgument, key + " must be an integer, got '" + value + "'");
  }
  if (out < min || out > max) {
    return fail(ErrorCode::kInvalidArgument, key + " must be in [" + std::to_string(min) + ", " +
                                                 std::to_string(max) + "], got " + value);
  }
  return out;
}

}  // namespace

Result<TopicConfig> TopicConfig::make(const TopicDefaults& defaults,
                                      const std::map<std::string, std::string>& overrides) {
  TopicConfig c;
  c.segment_bytes = defaults.segment_bytes;
  c.segment_ms = defaults.segment_ms;
  c.retention_ms = defaults.retention_ms;
  c.retention_bytes = defaults.retention_bytes;
  c.max_message_bytes = defaults.max_message_bytes;
  c.cleanup_policy = defaults.cleanup_policy;
  for (const auto& [key, value] : overrides) {
    if (key == "segment.bytes") {
      auto v = parse_int(key, value, 14, int64_t{1} << 31);
      if (!v) return std::unexpected(v.error());
      c.segment_bytes = *v;
    } else if (key == "segment.ms") {
      auto v = parse_int(key, value, 1, INT64_MAX);
      if (!v) return std::unexpected(v.error());
      c.segment_ms = *v;
    } else if (key == "retention.ms") {
      auto v = parse_int(key, value, -1, INT64_MAX);
      if (!v) return std::unexpected(v.error());
      c.retention_ms = *v;
    } else if (key == "retention.bytes") {
      auto v = parse_int(key, value, -1, INT64_MAX);
      if (!v) return std::unexpected(v.error());
      c.retention_bytes = *v;
    } else if (key == "max.message.bytes") {
      auto v = parse_int(key, value, 0, INT32_MAX);
      if (!v) return std::unexpected(v.error());
      c.max_message_bytes = static_cast<int32_t>(*v);
    } else if (key == "cleanup.policy") {
      if (value != "delete" && value != "compact" && value != "compact,delete" && value != "delete,compact") {
        return fail(ErrorCode::kInvalidArgument,
                    "cleanup.policy must be delete, compact or both, got '" + value + "'");
      }
      c.cleanup_policy = value;
    } else if (!kStoredOnly.contains(key)) {
      return fail(ErrorCode::kInvalidArgument, "unknown topic config '" + key + "'");
    }
    c.overrides[key] = value;
  }
  return c;
}

std::vector<ConfigEntry> describe(const TopicConfig& config) {
  auto entry = [&](const std::string& name, std::string value) {
    auto it = config.overrides.find(name);
    bool set = it != config.overrides.end();
    return ConfigEntry{name, set ? it->second : std::move(value), !set, false};
  };
  std::vector<ConfigEntry> out = {
      entry("cleanup.policy", config.cleanup_policy),
      entry("max.message.bytes", std::to_string(config.max_message_bytes)),
      entry("retention.bytes", std::to_string(config.retention_bytes)),
      entry("retention.ms", std::to_string(config.retention_ms)),
      entry("segment.bytes", std::to_string(config.segment_bytes)),
      entry("segment.ms", std::to_string(config.segment_ms)),
  };
  for (const auto& [key, value] : config.overrides) {
    if (kStoredOnly.contains(key)) out.push_back(ConfigEntry{key, value, false, false});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<void> validate_topic_name(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "topic name is empty");
  if (name.size() > 249) {
    return fail(ErrorCode::kInvalidArgument, "topic name longer than 249 characters");
  }
  if (name == "." || name == "..") {
    return fail(ErrorCode::kInvalidArgument, "topic name cannot be '.' or '..'");
  }
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-';
    if (!ok) {
      return fail(ErrorCode::kInvalidArgument, "topic name '" + std::string(name) +
                                                   "' may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return {};
}

}  // namespace velocity::broker
