// KafkaAdmin: the cluster-level questions and changes the commands need — topics, their
// partitions, watermarks and configs; consumer groups, their members and committed offsets —
// as blocking calls over librdkafka's C Admin API, each bounded by the request timeout.
// connect() fails when no broker answers. Owns one producer handle (admin calls need no
// consumer); main thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/kafka_client.h"

namespace velocity::cli {

struct PartitionInfo {
  std::int32_t id = -1;
  std::int32_t leader = -1;
  std::int64_t low = -1;   // earliest offset (filled by describe_topic)
  std::int64_t high = -1;  // next offset to be written
};

struct TopicInfo {
  std::string name;
  std::vector<PartitionInfo> partitions;
};

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;
  std::string source;  // librdkafka's name of where the value comes from
  bool is_default = false;
};

using TopicPartition = std::pair<std::string, std::int32_t>;
// Committed next offsets.
using OffsetMap = std::map<TopicPartition, std::int64_t>;

struct GroupMember {
  std::string member_id;
  std::string client_id;
  std::string host;
  std::vector<TopicPartition> assignment;
};

struct GroupInfo {
  std::string name;
  std::string state;  // Stable, Empty, PreparingRebalance, ..., Dead for an unknown group
  std::string assignor;
  std::int32_t coordinator = -1;
  std::vector<GroupMember> members;
};

class KafkaAdmin {
 public:
  [[nodiscard]] static Result<KafkaAdmin> connect(const Globals& globals);

  // Every topic with its partitions (no watermarks), sorted by name.
  [[nodiscard]] Result<std::vector<TopicInfo>> list_topics();
  // One topic with watermarks; kNotFound "topic T does not exist".
  [[nodiscard]] Result<TopicInfo> describe_topic(const std::string& name);
  // kNotFound unless the topic exists (without creating it).
  [[nodiscard]] Result<void> require_topic(const std::string& name);
  [[nodiscard]] Result<void> create_topic(const std::string& name, int partitions,
                                          int replication_factor,
                                          const std::map<std::string, std::string>& configs);
  [[nodiscard]] Result<void> delete_topic(const std::string& name);
  [[nodiscard]] Result<std::vector<ConfigEntry>> topic_configs(const std::string& name);
  // Earliest offset and next offset of one partition.
  [[nodiscard]] Result<std::pair<std::int64_t, std::int64_t>> watermarks(const std::string& topic,
                                                                        std::int32_t partition);
  // Per partition, the first offset whose timestamp is >= `time_ms`, or -1 when none is.
  [[nodiscard]] Result<std::map<std::int32_t, std::int64_t>> offsets_for_time(
      const std::string& topic, const std::vector<std::int32_t>& partitions, std::int64_t time_ms);

  [[nodiscard]] Result<std::vector<GroupInfo>> list_groups();
  // An unknown group comes back with state "Dead" and no members.
  [[nodiscard]] Result<GroupInfo> describe_group(const std::string& group);
  // Everything the group has committed.
  [[nodiscard]] Result<OffsetMap> committed_offsets(const std::string& group);
  // Commits as an admin tool does, without joining: the broker accepts this only while the
  // group has no members.
  [[nodiscard]] Result<void> commit_offsets(const std::string& group, const OffsetMap& offsets);

  rd_kafka_t* handle() const { return handle_.get(); }

 private:
  KafkaAdmin(Handle handle, const Globals& globals) : handle_(std::move(handle)), globals_(&globals) {}
  [[nodiscard]] Result<std::vector<TopicInfo>> metadata();

  Handle handle_;
  const Globals* globals_;
};

}  // namespace velocity::cli
