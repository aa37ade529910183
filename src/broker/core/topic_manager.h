// The topics of this broker and their partitions: creation (explicit or automatic), deletion,
// adding partitions, configuration, and each partition's log. Persists each topic's metadata
// beside its partitions so a restart finds everything again. Layout: docs/storage.md.
// Not thread-safe: the broker calls it from its event-loop thread only (the logs themselves
// are thread-safe, so the flusher thread may sync them concurrently).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/core/broker_config.h"
#include "broker/core/topic_config.h"
#include "broker/group/producer_state.h"
#include "broker/storage/env.h"
#include "broker/storage/journal.h"
#include "broker/storage/partition_log.h"
#include "common/result.h"

namespace velocity::broker {

using TopicId = std::array<uint8_t, 16>;

// Something waiting for new data on a partition (a long-polling fetch).
class AppendWaiter {
 public:
  virtual ~AppendWaiter() = default;
  virtual void on_append() = 0;
};

struct Partition {
  std::string topic;
  int32_t index = 0;
  std::shared_ptr<storage::PartitionLog> log;
  // Idempotent producers' recent batches on this partition, rebuilt from the log's tail.
  std::unique_ptr<group::PartitionProducerState> producers;

  // Registers a waiter until the next append. Held weakly: a waiter that finished for another
  // reason (its timeout) simply expires and is pruned here.
  void wait_for_append(const std::shared_ptr<AppendWaiter>& waiter);
  void notify_append();

 private:
  std::vector<std::weak_ptr<AppendWaiter>> waiters_;
};

struct Topic {
  std::string name;
  TopicId id{};
  TopicConfig config;
  std::vector<std::unique_ptr<Partition>> partitions;
};

struct TopicsRecovery {
  size_t topics = 0;
  size_t partitions = 0;
  uint64_t bytes_truncated = 0;
};

class TopicManager {
 public:
  // Opens every topic under `<data_dir>/topics`, recovering each partition's log. A partition
  // that cannot be recovered fails the whole open with a message naming it: serving a topic
  // with a silently missing partition would lose data. With a `journal` (it must outlive the
  // manager), every log is opened with it: it replays its records and journals its appends.
  [[nodiscard]] static Result<std::unique_ptr<TopicManager>> open(storage::Env& env,
                                                                  const BrokerConfig& config,
                                                                  TopicsRecovery* recovery,
                                                                  storage::Journal* journal = nullptr);
  ~TopicManager();

  Topic* find(const std::string& name);
  Partition* find(const std::string& name, int32_t partition);
  std::vector<Topic*> list();

  // partitions <= 0 means the broker default. Errors: kAlreadyExists, kInvalidArgument (name,
  // partition count or config).
  [[nodiscard]] Result<Topic*> create(const std::string& name, int32_t partitions,
                                      const std::map<std::string, std::string>& configs,
                                      bool validate_only = false);
  [[nodiscard]] Result<void> remove(const std::string& name);
  // Grows the topic to `total` partitions (never shrinks: kInvalidArgument).
  [[nodiscard]] Result<void> add_partitions(const std::string& name, int32_t total,
                                            bool validate_only = false);

  // Deletes segments past retention in every partition; returns segments removed.
  size_t enforce_retention(int64_t now_ms);
  // Forgets idempotent producers idle past producer_id_expiration_ms; returns how many.
  size_t expire_idle_producers();

  // Closes every log cleanly (the next open need not rescan).
  [[nodiscard]] Result<void> close();

  const BrokerConfig& config() const { return config_; }

 private:
  TopicManager(storage::Env& env, BrokerConfig config);
  [[nodiscard]] Result<std::unique_ptr<Partition>> open_partition(const Topic& topic, int32_t index,
                                                                  TopicsRecovery* recovery);
  [[nodiscard]] Result<void> write_metadata(const Topic& topic);
  [[nodiscard]] Result<std::unique_ptr<Topic>> load_topic(const std::string& name, TopicsRecovery* recovery);
  storage::LogConfig log_config(const TopicConfig& config) const;
  std::string topic_dir(const std::string& name) const;

  storage::Env& env_;
  BrokerConfig config_;
  storage::Journal* journal_ = nullptr;
  group::SystemClock clock_;
  std::map<std::string, std::unique_ptr<Topic>> topics_;
};

}  // namespace velocity::broker
