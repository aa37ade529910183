#include "broker/core/topic_manager.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <random>

#include "common/log.h"

namespace velocity::broker {
namespace {

constexpr const char* kMetadataFile = "topic.json";
constexpr int64_t kProducerReplayOffsets = 100000;

std::string hex(const TopicId& id) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : id) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

bool parse_hex(const std::string& text, TopicId& id) {
  if (text.size() != 32) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 16; ++i) {
    int hi = nibble(text[2 * i]);
    int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    id[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

TopicId random_topic_id() {
  std::random_device device;
  std::mt19937_64 rng(static_cast<uint64_t>(device()) << 32 | device());
  TopicId id{};
  for (auto& b : id) b = static_cast<uint8_t>(rng());
  id[6] = static_cast<uint8_t>((id[6] & 0x0f) | 0x40);  // RFC 4122 version 4
  id[8] = static_cast<uint8_t>((id[8] & 0x3f) | 0x80);
  return id;
}

}  // namespace

void Partition::wait_for_append(const std::shared_ptr<AppendWaiter>& waiter) {
  // A waiter re-subscribes to all its partitions after a wake-up that did not satisfy it;
  // registering once per partition keeps it from being woken repeatedly by one append.
  std::erase_if(waiters_, [](const auto& w) { return w.expired(); });
  for (const auto& w : waiters_) {
    if (w.lock() == waiter) return;
  }
  waiters_.push_back(waiter);
}

void Partition::notify_append() {
  if (waiters_.empty()) return;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& weak : waiters) {
    if (auto waiter = weak.lock()) waiter->on_append();
  }
}

TopicManager::TopicManager(storage::Env& env, BrokerConfig config) : env_(env), config_(std::move(config)) {}

TopicManager::~TopicManager() = default;

std::string TopicManager::topic_dir(const std::string& name) const {
  return config_.data_dir + "/topics/" + name;
}

storage::LogConfig TopicManager::log_config(const TopicConfig& config) const {
  storage::LogConfig c;
  c.segment_bytes = static_cast<uint64_t>(config.segment_bytes);
  c.segment_ms = config.segment_ms;
  c.retention_ms = config.retention_ms;
  c.retention_bytes = config.retention_bytes;
  c.max_batch_bytes = static_cast<uint32_t>(std::max(config.max_message_bytes, 0));
  c.durability = config_.sync_on_ack ? storage::Durability::kFsync : storage::Durability::kNoSync;
  c.prewrite_bytes = config_.prewrite_kib << 10;
  return c;
}

Result<std::unique_ptr<TopicManager>> TopicManager::open(storage::Env& env, const BrokerConfig& config,
                                                         TopicsRecovery* recovery, storage::Journal* journal) {
  std::unique_ptr<TopicManager> manager(new TopicManager(env, config));
  manager->journal_ = journal;
  std::string root = config.data_dir + "/topics";
  if (auto made = env.create_dirs(root); !made) return std::unexpected(made.error());
  auto names = env.list_dir(root);
  if (!names) return std::unexpected(names.error());
  std::sort(names->begin(), names->end());
  for (const auto& name : *names) {
    // A topic is being deleted when its directory carries this suffix: finish the job.
    if (name.ends_with(".deleted")) {
      std::error_code ec;
      std::filesystem::remove_all(root + "/" + name, ec);
      continue;
    }
    if (!validate_topic_name(name)) continue;
    auto topic = manager->load_topic(name, recovery);
    if (!topic) return std::unexpected(topic.error());
    if (recovery) ++recovery->topics;
    manager->topics_.emplace(name, std::move(*topic));
  }
  return manager;
}

Result<std::unique_ptr<Topic>> TopicManager::load_topic(const std::string& name, TopicsRecovery* recovery) {
  auto dir = topic_dir(name);
  auto bytes = storage::read_whole_file(env_, dir + "/" + kMetadataFile);
  if (!bytes) {
    return fail(ErrorCode::kCorrupt, "topic '" + name + "': cannot read " + kMetadataFile + ": " +
                                         bytes.error().message());
  }
  auto topic = std::make_unique<Topic>();
  topic->name = name;
  int32_t partitions = 0;
  std::map<std::string, std::string> overrides;
  try {
    auto json = nlohmann::json::parse(reinterpret_cast<const char*>(bytes->data()),
                                      reinterpret_cast<const char*>(bytes->data() + bytes->size()));
    partitions = json.at("partitions").get<int32_t>();
    if (!parse_hex(json.at("id").get<std::string>(), topic->id)) throw std::runtime_error("bad id");
    overrides = json.at("configs").get<std::map<std::string, std::string>>();
  } catch (const std::exception& e) {
    return fail(ErrorCode::kCorrupt, "topic '" + name + "': " + kMetadataFile + " is malformed: " + e.what());
  }
  auto config = TopicConfig::make(config_.topic_defaults, overrides);
  if (!config) return fail(ErrorCode::kCorrupt, "topic '" + name + "': " + config.error().message());
  topic->config = std::move(*config);
  for (int32_t i = 0; i < partitions; ++i) {
    auto partition = open_partition(*topic, i, recovery);
    if (!partition) return std::unexpected(partition.error());
    topic->partitions.push_back(std::move(*partition));
  }
  return topic;
}

Result<std::unique_ptr<Partition>> TopicManager::open_partition(const Topic& topic, int32_t index,
                                                                TopicsRecovery* recovery) {
  auto dir = topic_dir(topic.name) + "/" + std::to_string(index);
  auto opened = storage::PartitionLog::open(env_, dir, log_config(topic.config), journal_);
  if (!opened) {
    return fail(opened.error().code, "partition " + topic.name + "-" + std::to_string(index) + ": " +
                                         opened.error().message());
  }
  const auto& report = opened->report;
  if (recovery) {
    ++recovery->partitions;
    recovery->bytes_truncated += report.bytes_truncated;
  }
  if (report.bytes_truncated > 0) {
    log::warn("partition {}-{}: recovery truncated {} bytes of torn tail", topic.name, index,
              report.bytes_truncated);
  }
  if (report.journal_batches_replayed > 0) {
    log::info("partition {}-{}: recovery appended {} batches from the journal", topic.name, index,
              report.journal_batches_replayed);
  }
  auto partition = std::make_unique<Partition>();
  partition->topic = topic.name;
  partition->index = index;
  partition->log = std::move(opened->log);
  group::ProducerStateOptions producer_options;
  producer_options.producer_id_expiration_ms = config_.producer_id_expiration_ms;
  partition->producers = std::make_unique<group::PartitionProducerState>(clock_, producer_options);
  // A producer retrying across a broker restart must still be recognised, so the recent
  // batches are replayed. Retries concern the last few requests of each producer: the tail
  // of the log is enough, and bounding it keeps start-up fast for long logs.
  auto& log = *partition->log;
  int64_t from = std::max(log.log_start_offset(), log.high_watermark() - kProducerReplayOffsets);
  if (from < log.high_watermark()) {
    auto replayed = log.scan_headers(from, [&](const storage::BatchHeader& h) {
      if (h.producer_id >= 0) {
        partition->producers->replay({h.producer_id, h.producer_epoch, h.base_sequence, h.record_count,
                                      h.base_offset, h.last_offset(), h.max_timestamp});
      }
      return true;
    });
    if (!replayed) {
      return fail(replayed.error().code, "partition " + topic.name + "-" + std::to_string(index) +
                                             ": rebuilding producer state: " + replayed.error().message());
    }
  }
  return partition;
}

Result<void> TopicManager::write_metadata(const Topic& topic) {
  nlohmann::json json;
  json["id"] = hex(topic.id);
  json["partitions"] = topic.partitions.size();
  json["configs"] = topic.config.overrides;
  auto text = json.dump(2);
  return storage::write_file_atomically(env_, topic_dir(topic.name), kMetadataFile,
                                        std::as_bytes(std::span(text.data(), text.size())), true);
}

Topic* TopicManager::find(const std::string& name) {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

Partition* TopicManager::find(const std::string& name, int32_t partition) {
  auto* topic = find(name);
  if (!topic || partition < 0 || partition >= static_cast<int32_t>(topic->partitions.size())) return nullptr;
  return topic->partitions[static_cast<size_t>(partition)].get();
}

std::vector<Topic*> TopicManager::list() {
  std::vector<Topic*> out;
  for (auto& [name, topic] : topics_) out.push_back(topic.get());
  return out;
}

Result<Topic*> TopicManager::create(const std::string& name, int32_t partitions,
                                    const std::map<std::string, std::string>& configs, bool validate_only) {
  if (auto valid = validate_topic_name(name); !valid) return std::unexpected(valid.error());
  if (topics_.contains(name)) return fail(ErrorCode::kAlreadyExists, "topic '" + name + "' already exists");
  if (partitions <= 0) partitions = config_.topic_defaults.partitions;
  if (partitions > 100000) {
    return fail(ErrorCode::kInvalidArgument, "topic '" + name + "': too many partitions");
  }
  auto config = TopicConfig::make(config_.topic_defaults, configs);
  if (!config) return std::unexpected(config.error());
  if (validate_only) return nullptr;

  auto topic = std::make_unique<Topic>();
  topic->name = name;
  topic->id = random_topic_id();
  topic->config = std::move(*config);
  if (auto made = env_.create_dirs(topic_dir(name)); !made) return std::unexpected(made.error());
  for (int32_t i = 0; i < partitions; ++i) {
    auto partition = open_partition(*topic, i, nullptr);
    if (!partition) return std::unexpected(partition.error());
    topic->partitions.push_back(std::move(*partition));
  }
  // The metadata file is written last: a crash before it leaves a directory without one,
  // which the next start ignores (the topic was never acknowledged as created).
  if (auto written = write_metadata(*topic); !written) return std::unexpected(written.error());
  auto* raw = topic.get();
  topics_.emplace(name, std::move(topic));
  log::info("created topic {} with {} partitions", name, partitions);
  return raw;
}

Result<void> TopicManager::remove(const std::string& name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return fail(ErrorCode::kNotFound, "topic '" + name + "' does not exist");
  auto topic = std::move(it->second);
  topics_.erase(it);
  for (auto& partition : topic->partitions) {
    partition->notify_append();  // waiting fetches re-check and find the topic gone
    (void)partition->log->close();
  }
  // Rename first (atomic), then delete: a crash in between is finished at the next start.
  std::string dir = topic_dir(name);
  std::string doomed = dir + "." + hex(topic->id) + ".deleted";
  if (auto renamed = env_.rename(dir, doomed); !renamed) return std::unexpected(renamed.error());
  (void)env_.sync_dir(config_.data_dir + "/topics");
  std::error_code ec;
  std::filesystem::remove_all(doomed, ec);
  log::info("deleted topic {}", name);
  return {};
}

Result<void> TopicManager::add_partitions(const std::string& name, int32_t total, bool validate_only) {
  auto* topic = find(name);
  if (!topic) return fail(ErrorCode::kNotFound, "topic '" + name + "' does not exist");
  auto current = static_cast<int32_t>(topic->partitions.size());
  if (total <= current) {
    return fail(ErrorCode::kInvalidArgument, "topic '" + name + "' has " + std::to_string(current) +
                                                 " partitions; the new count must be larger, got " +
                                                 std::to_string(total));
  }
  if (total > 100000) return fail(ErrorCode::kInvalidArgument, "too many partitions");
  if (validate_only) return {};
  for (int32_t i = current; i < total; ++i) {
    auto partition = open_partition(*topic, i, nullptr);
    if (!partition) return std::unexpected(partition.error());
    topic->partitions.push_back(std::move(*partition));
  }
  return write_metadata(*topic);
}

size_t TopicManager::enforce_retention(int64_t now_ms) {
  size_t removed = 0;
  for (auto& [name, topic] : topics_) {
    for (auto& partition : topic->partitions) {
      auto result = partition->log->enforce_retention(now_ms);
      if (result) {
        removed += static_cast<size_t>(*result);
      } else {
        log::warn("retention of {}-{}: {}", name, partition->index, result.error().message());
      }
    }
  }
  return removed;
}

size_t TopicManager::expire_idle_producers() {
  size_t expired = 0;
  for (auto& [name, topic] : topics_) {
    for (auto& partition : topic->partitions) expired += partition->producers->expire_idle();
  }
  return expired;
}

Result<void> TopicManager::close() {
  std::optional<Error> first_error;
  for (auto& [name, topic] : topics_) {
    for (auto& partition : topic->partitions) {
      auto closed = partition->log->close();
      if (!closed && !first_error) first_error = closed.error();
    }
  }
  if (first_error) return std::unexpected(*first_error);
  return {};
}

}  // namespace velocity::broker
