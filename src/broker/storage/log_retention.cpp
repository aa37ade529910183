// PartitionLog maintenance that removes data: retention, truncation, DeleteRecords.
#include <fmt/format.h>

#include "broker/storage/journal.h"
#include "broker/storage/log_files.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {

Result<void> PartitionLog::delete_segment_locked(size_t index) {
  // Readers holding a FileRange keep the file open; unlinking does not disturb them.
  if (auto r = segments_[index]->remove_files(); !r) return r;
  segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(index));
  dir_dirty_ = true;
  return {};
}

Result<int> PartitionLog::enforce_retention(int64_t now_ms) {
  std::unique_lock lock(mu_);
  int deleted = 0;
  // Oldest first, never the active segment: a crash part-way leaves a contiguous suffix.
  while (config_.retention_ms >= 0 && segments_.size() > 1 &&
         now_ms - segments_.front()->max_timestamp() > config_.retention_ms) {
    if (auto r = delete_segment_locked(0); !r) return std::unexpected(r.error());
    ++deleted;
  }
  if (config_.retention_bytes >= 0) {
    uint64_t total = 0;
    for (const auto& s : segments_) total += s->size();
    while (segments_.size() > 1 &&
           total - segments_.front()->size() >= static_cast<uint64_t>(config_.retention_bytes)) {
      total -= segments_.front()->size();
      if (auto r = delete_segment_locked(0); !r) return std::unexpected(r.error());
      ++deleted;
    }
  }
  log_start_offset_ = std::max(log_start_offset_, segments_.front()->base_offset());
  return deleted;
}

Result<int64_t> PartitionLog::truncate_to(int64_t offset) {
  // sync_mu_ first: a sync round must not mark bytes synced across a truncation.
  std::lock_guard sync_lock(sync_mu_);
  std::unique_lock lock(mu_);
  if (auto refusal = write_refusal_locked()) return std::unexpected(*refusal);
  const int64_t hwm = segments_.back()->next_offset();
  if (offset >= hwm) return hwm;
  if (offset < log_start_offset_) {
    return fail(ErrorCode::kOutOfRange, fmt::format("{}: truncate to {} below log start {}", dir_,
                                                    offset, log_start_offset_));
  }
  // Newest first, so a crash part-way leaves segments whose offsets still run on.
  while (segments_.size() > 1 && segments_.back()->base_offset() >= offset) {
    if (auto r = delete_segment_locked(segments_.size() - 1); !r) {
      fence_locked(r.error());
      return std::unexpected(r.error());
    }
  }
  const auto& active = segments_.back();
  plan_ahead(*active);
  Result<void> r = active->truncate_to(offset);
  if (r) r = active->remove_index_files();
  if (r && config_.durability == Durability::kFsync) {
    r = active->log_file()->sync();
    if (r) r = env_.sync_dir(dir_);
    dir_dirty_ = !r;
  }
  if (!r) {
    fence_locked(r.error());
    return std::unexpected(r.error());
  }
  const int64_t new_end = active->next_offset();
  // The journal may still hold records of the removed batches: a durable truncation record
  // after them keeps a replay from bringing them back. Appended under mu_ (after this log's
  // earlier records), synced outside it (the sync advances durable offsets, which must not
  // wait for a log lock).
  if (journal_) {
    if (r = journal_->append_truncation(log_id_, offset); !r) {
      fence_locked(r.error());
      return std::unexpected(r.error());
    }
  }
  lock.unlock();
  if (journal_) {
    if (r = journal_->sync(); !r) {
      std::unique_lock relock(mu_);
      fence_locked(r.error());
      return std::unexpected(r.error());
    }
  }
  {
    std::lock_guard d(durable_mu_);
    if (durable_offset_.load() > new_end) durable_offset_.store(new_end);
  }
  return new_end;
}

Result<int64_t> PartitionLog::delete_records_before(int64_t offset) {
  std::unique_lock lock(mu_);
  if (auto refusal = write_refusal_locked()) return std::unexpected(*refusal);
  const int64_t hwm = segments_.back()->next_offset();
  if (offset > hwm) {
    return fail(
        ErrorCode::kOutOfRange,
        fmt::format("{}: delete records before {} beyond high watermark {}", dir_, offset, hwm));
  }
  if (offset <= log_start_offset_) return log_start_offset_;
  // The checkpoint is durable before anything is deleted or reported, so a restart never
  // brings the deleted records back.
  auto bytes = encode_log_start(offset);
  if (auto r = write_file_atomically(env_, dir_, std::string(kLogStartFile), bytes,
                                     config_.durability == Durability::kFsync);
      !r) {
    return std::unexpected(r.error());
  }
  log_start_offset_ = offset;
  while (segments_.size() > 1 && segments_.front()->next_offset() <= offset) {
    if (auto r = delete_segment_locked(0); !r) return std::unexpected(r.error());
  }
  return log_start_offset_;
}

}  // namespace velocity::storage
