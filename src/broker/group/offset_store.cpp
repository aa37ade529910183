#include "broker/group/offset_store.h"

#include <system_error>

#include "common/log.h"

namespace velocity::group {

Result<std::unique_ptr<OffsetStore>> OffsetStore::open(const std::filesystem::path& dir,
                                                       OffsetStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kIo, "create " + dir.string() + ": " + ec.message());
  std::filesystem::path path = dir / kLogFileName;
  // A leftover temp file is a compaction that crashed before its rename: the old log is whole.
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  std::filesystem::remove(tmp, ec);

  std::string content;
  if (auto data = read_whole_file(path)) {
    content = std::move(*data);
  } else if (data.error().code != ErrorCode::kNotFound) {
    return std::unexpected(data.error());
  }
  auto scan = scan_offset_log(content);
  if (!scan) {
    return fail(scan.error().code, path.string() + ": " + scan.error().context);
  }
  auto file = AppendFile::open(path, scan->valid_bytes);
  if (!file) return std::unexpected(file.error());
  // Make a newly created file's directory entry durable before anything is acknowledged.
  if (auto synced = sync_directory(dir); !synced) return std::unexpected(synced.error());

  std::unique_ptr<OffsetStore> store(new OffsetStore(dir, options, std::move(*file)));
  for (const OffsetRecord& record : scan->records) store->apply(record);
  store->log_records_ = scan->records.size();
  store->recovery_ = {scan->records.size(), scan->dropped_bytes};
  if (scan->dropped_bytes > 0) {
    log::warn("offsets log {}: dropped a torn tail of {} bytes after {} good bytes", path.string(),
              scan->dropped_bytes, scan->valid_bytes);
  }
  return store;
}

void OffsetStore::apply(const OffsetRecord& record) {
  switch (record.type) {
    case OffsetRecordType::kOffsetCommit:
      groups_[record.group].offsets[{record.topic, record.partition}] = record.offset;
      break;
    case OffsetRecordType::kOffsetTombstone: {
      auto it = groups_.find(record.group);
      if (it == groups_.end()) break;
      it->second.offsets.erase({record.topic, record.partition});
      if (it->second.offsets.empty() && !it->second.metadata) groups_.erase(it);
      break;
    }
    case OffsetRecordType::kGroupMetadata:
      groups_[record.group].metadata = record.metadata;
      break;
    case OffsetRecordType::kGroupTombstone:
      groups_.erase(record.group);
      break;
  }
}

Result<void> OffsetStore::persist(const std::vector<OffsetRecord>& records) {
  if (fenced_) {
    return fail(ErrorCode::kFenced, "offsets log after earlier failure: " + fenced_->message());
  }
  if (records.empty()) return {};
  std::string buffer;
  for (const OffsetRecord& record : records) encode_offset_record(record, buffer);
  if (auto appended = file_.append_and_sync(buffer); !appended) {
    // After a failed write or fdatasync the file's durable content is unknown (the kernel may
    // have dropped the dirty pages), so nothing more may be acknowledged from this log.
    fenced_ = appended.error();
    log::error("offsets log fenced: {}", appended.error().message());
    return appended;
  }
  for (const OffsetRecord& record : records) apply(record);
  log_records_ += records.size();
  if (file_.size() > options_.compact_min_bytes && log_records_ > 2 * live_records()) {
    if (auto compacted = compact(); !compacted) {
      log::warn("offsets log compaction failed, keeping the full log: {}",
                compacted.error().message());
    }
  }
  return {};
}

size_t OffsetStore::live_records() const {
  size_t n = 0;
  for (const auto& [name, entry] : groups_) n += entry.offsets.size() + (entry.metadata ? 1 : 0);
  return n;
}

Result<void> OffsetStore::compact() {
  if (fenced_) return fail(ErrorCode::kFenced, "compact: " + fenced_->message());
  std::string snapshot;
  for (const auto& [name, entry] : groups_) {
    if (entry.metadata) {
      OffsetRecord r{.type = OffsetRecordType::kGroupMetadata, .group = name};
      r.metadata = *entry.metadata;
      encode_offset_record(r, snapshot);
    }
    for (const auto& [tp, value] : entry.offsets) {
      OffsetRecord r{.type = OffsetRecordType::kOffsetCommit,
                     .group = name,
                     .topic = tp.topic,
                     .partition = tp.partition,
                     .offset = value};
      encode_offset_record(r, snapshot);
    }
  }
  std::filesystem::path path = dir_ / kLogFileName;
  // Until the rename the old log is the truth; after it the snapshot is. Either is complete.
  if (auto replaced = replace_file_atomically(path, snapshot); !replaced) return replaced;
  auto reopened = AppendFile::open(path, snapshot.size());
  if (!reopened) {
    fenced_ = reopened.error();
    return std::unexpected(reopened.error());
  }
  file_ = std::move(*reopened);
  log_records_ = live_records();
  return {};
}

Result<void> OffsetStore::commit_offsets(const std::string& group,
                                         std::span<const OffsetWrite> writes) {
  std::vector<OffsetRecord> records;
  records.reserve(writes.size());
  for (const OffsetWrite& w : writes) {
    records.push_back({.type = OffsetRecordType::kOffsetCommit,
                       .group = group,
                       .topic = w.partition.topic,
                       .partition = w.partition.partition,
                       .offset = w.value});
  }
  return persist(records);
}

Result<void> OffsetStore::delete_offsets(const std::string& group,
                                         std::span<const TopicPartition> partitions) {
  std::vector<OffsetRecord> records;
  for (const TopicPartition& tp : partitions) {
    if (!offset(group, tp)) continue;
    records.push_back({.type = OffsetRecordType::kOffsetTombstone,
                       .group = group,
                       .topic = tp.topic,
                       .partition = tp.partition});
  }
  return persist(records);
}

Result<void> OffsetStore::delete_group(const std::string& group) {
  if (!has_group(group)) return {};
  return persist({OffsetRecord{.type = OffsetRecordType::kGroupTombstone, .group = group}});
}

Result<void> OffsetStore::save_group_metadata(const std::string& group,
                                              const GroupMetadata& metadata) {
  OffsetRecord r{.type = OffsetRecordType::kGroupMetadata, .group = group};
  r.metadata = metadata;
  return persist({r});
}

std::optional<CommittedOffset> OffsetStore::offset(const std::string& group,
                                                   const TopicPartition& partition) const {
  auto it = groups_.find(group);
  if (it == groups_.end()) return std::nullopt;
  auto found = it->second.offsets.find(partition);
  if (found == it->second.offsets.end()) return std::nullopt;
  return found->second;
}

std::vector<OffsetWrite> OffsetStore::offsets(const std::string& group) const {
  std::vector<OffsetWrite> out;
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  for (const auto& [tp, value] : it->second.offsets) out.push_back({tp, value});
  return out;
}

std::optional<GroupMetadata> OffsetStore::group_metadata(const std::string& group) const {
  auto it = groups_.find(group);
  if (it == groups_.end()) return std::nullopt;
  return it->second.metadata;
}

std::vector<std::string> OffsetStore::groups() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : groups_) out.push_back(name);
  return out;
}

}  // namespace velocity::group
