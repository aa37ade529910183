// OffsetStore: the durable map of committed offsets and group metadata, kept in memory and
// backed by one CRC-framed append-only log (`offsets.log` in its directory; format in
// docs/groups.md). A mutation returns only after its bytes are fdatasync'ed; one call's records
// share one write and one sync. The log is rewritten from the live map (temp file, sync, atomic
// rename) when it is mostly dead records. A failed write or sync fences the store: every later
// mutation fails with kFenced. Not thread-safe: owned and used by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/group/group_types.h"
#include "broker/group/offset_log_format.h"
#include "broker/group/posix_file.h"
#include "common/result.h"

namespace velocity::group {

struct OffsetStoreOptions {
  // The log is compacted once it is larger than this and holds more than twice as many
  // records as the live map.
  uint64_t compact_min_bytes = 16u << 20;
};

struct OffsetWrite {
  TopicPartition partition;
  CommittedOffset value;
};

// What opening found, for the start-up log line.
struct OffsetStoreRecovery {
  size_t records_replayed = 0;
  uint64_t torn_bytes_dropped = 0;
};

class OffsetStore {
 public:
  static constexpr const char* kLogFileName = "offsets.log";

  // Loads `dir`/offsets.log (creating `dir` and the file if needed). A torn tail is cut off
  // and reported in recovery(); damage before the tail fails with kCorrupt.
  [[nodiscard]] static Result<std::unique_ptr<OffsetStore>> open(const std::filesystem::path& dir,
                                                                 OffsetStoreOptions options = {});

  [[nodiscard]] Result<void> commit_offsets(const std::string& group,
                                            std::span<const OffsetWrite> writes);
  [[nodiscard]] Result<void> delete_offsets(const std::string& group,
                                            std::span<const TopicPartition> partitions);
  // Removes the group's metadata and all its offsets (one tombstone record).
  [[nodiscard]] Result<void> delete_group(const std::string& group);
  [[nodiscard]] Result<void> save_group_metadata(const std::string& group,
                                                 const GroupMetadata& metadata);

  std::optional<CommittedOffset> offset(const std::string& group,
                                        const TopicPartition& partition) const;
  std::vector<OffsetWrite> offsets(const std::string& group) const;  // sorted by topic, partition
  std::optional<GroupMetadata> group_metadata(const std::string& group) const;
  bool has_group(const std::string& group) const { return groups_.contains(group); }
  std::vector<std::string> groups() const;  // every group with metadata or offsets, sorted

  // Rewrites the log to hold only live records. Called automatically; public for operators
  // and tests.
  [[nodiscard]] Result<void> compact();

  const OffsetStoreRecovery& recovery() const { return recovery_; }
  uint64_t log_bytes() const { return file_.size(); }

 private:
  struct GroupEntry {
    std::optional<GroupMetadata> metadata;
    std::map<TopicPartition, CommittedOffset> offsets;
  };

  OffsetStore(std::filesystem::path dir, OffsetStoreOptions options, AppendFile file)
      : dir_(std::move(dir)), options_(options), file_(std::move(file)) {}

  void apply(const OffsetRecord& record);
  // Appends the encoded records with one sync, then applies them to the map.
  [[nodiscard]] Result<void> persist(const std::vector<OffsetRecord>& records);
  size_t live_records() const;

  std::filesystem::path dir_;
  OffsetStoreOptions options_;
  AppendFile file_;
  std::map<std::string, GroupEntry> groups_;
  size_t log_records_ = 0;
  std::optional<Error> fenced_;
  OffsetStoreRecovery recovery_;
};

}  // namespace velocity::group
