// PartitionLog: the durable log of one partition, a directory of segments (segment.h) with
// recovery at open, offset assignment, reads as sendfile-able file ranges, retention,
// truncation and group-committed durability. Format and rules: docs/storage.md.
//
// Thread-safety: every method may be called from any thread. `mu_` (a shared_mutex) guards
// the segment list and offsets: appends, truncation and retention hold it exclusively; reads
// and lookups hold it shared (they pread the page cache under it, which is short). fdatasync
// runs outside `mu_` under `sync_mu_`, so appends continue while a sync is in flight; the
// group-commit state (`durable_mu_`, `durable_cv_`) lets one waiter sync for all of them.
// A failed write or sync fences the log: later appends and syncs fail with kFenced, reads work.
//
// With a Journal (journal.h), every append is also buffered in the journal, whose sync makes
// it durable (note_durable); sync() still fdatasyncs the segments (the journal's checkpoints).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "broker/storage/env.h"
#include "broker/storage/journal_format.h"
#include "broker/storage/log_config.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/segment.h"

namespace velocity::storage {

class Journal;

// What open() found and did.
struct RecoveryReport {
  bool clean_shutdown = false;  // a clean marker was present: nothing was scanned
  int segments_opened = 0;
  int segments_scanned = 0;               // read batch by batch with CRC checks
  uint64_t bytes_truncated = 0;           // torn tail removed (up to its last non-zero byte)
  uint64_t zero_bytes_dropped = 0;        // zeros removed after it: pre-written or unwritten
  uint64_t journal_batches_replayed = 0;  // appended from the journal after the scan
  std::vector<std::string> notes;         // one line per decision, e.g. why bytes were dropped
};

struct AppendResult {
  int64_t base_offset = 0;  // of the first batch
  int64_t last_offset = 0;  // of the last record of the last batch
  int64_t max_timestamp = -1;
  uint64_t bytes = 0;
};

// A byte range of one segment file holding whole batches. Shares ownership of the file, so it
// stays readable even if retention deletes the segment meanwhile.
struct FileRange {
  std::shared_ptr<File> file;
  uint64_t position = 0;
  uint64_t length = 0;

  // The descriptor to sendfile from (at `position`, `length` bytes); -1 for in-memory files.
  int fd() const { return file->native_handle(); }
  // Reads the range through the Env; `out` must hold `length` bytes.
  [[nodiscard]] Result<void> read_into(std::span<std::byte> out) const;
};

struct ReadResult {
  std::vector<FileRange> ranges;  // in offset order; empty when reading at the high watermark
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
  uint64_t total_bytes() const;
};

class PartitionLog : public std::enable_shared_from_this<PartitionLog> {
 public:
  struct Opened {
    std::shared_ptr<PartitionLog> log;
    RecoveryReport report;
  };
  // Opens (creating if needed) the partition in `dir`. kCorrupt if a segment is damaged
  // before its tail (it is renamed *.log.corrupt) or a quarantined segment is present.
  // With a `journal` (which must outlive the log), the log gets a stable id (the `log-id`
  // file), takes its recovered journal records and appends the batches its segments lost
  // (kCorrupt if they do not continue the log), and journals every later append.
  [[nodiscard]] static Result<Opened> open(Env& env, const std::string& dir, LogConfig config,
                                           Journal* journal = nullptr);

  // Checks every batch in `batches` (several concatenated v2 batches; kCorrupt, kUnsupported,
  // kTooLarge, kInvalidArgument for recordCount < 1), then assigns offsets by rewriting each
  // base offset in place and writes them all. Nothing is written if any batch is rejected.
  [[nodiscard]] Result<AppendResult> append(std::span<std::byte> batches, int64_t now_ms);

  // Whole batches from the one holding `offset`, up to `max_bytes` but at least one batch.
  // kOutOfRange below the log start or above the high watermark.
  [[nodiscard]] Result<ReadResult> read(int64_t offset, uint64_t max_bytes) const;

  // Base offset of the first batch whose max timestamp ≥ `timestamp`; nullopt if none.
  [[nodiscard]] Result<std::optional<int64_t>> offset_for_timestamp(int64_t timestamp) const;

  // Calls `visit` with each batch header from the batch holding `offset` to the end, until it
  // returns false (e.g. to rebuild idempotent-producer state at start-up). `visit` runs under
  // the shared lock: it must not append, truncate or delete on this log.
  [[nodiscard]] Result<void> scan_headers(
      int64_t offset, const std::function<bool(const BatchHeader&)>& visit) const;

  int64_t log_start_offset() const;
  int64_t high_watermark() const;  // next offset to assign
  int64_t durable_offset() const { return durable_offset_.load(std::memory_order_acquire); }
  uint64_t size_bytes() const;
  size_t segment_count() const;

  // Makes everything appended so far durable (fdatasync of dirty segments, the directory when
  // files were created or removed), then advances durable_offset().
  [[nodiscard]] Result<void> sync();
  // Whether the active segment wants zeros written ahead of its end (with fsync durability,
  // LogConfig::prewrite_bytes): an append left less than half a step of them.
  bool wants_prewrite() const;
  // Writes those zeros, in steps that are each written back to the disk before the next, then
  // fdatasyncs the larger file through a descriptor of their own. Meant for a thread off the
  // append and sync paths (the Flusher's), so pre-writing costs neither appends nor the syncs
  // that acknowledge them anything but the odd step still being written back.
  void prewrite_ahead();
  // Starts writeback of the segments' unsynced bytes without waiting (the journal calls it
  // between checkpoints, so a checkpoint's fdatasync finds little left to write).
  void start_writeback();
  // The journal made everything before `next_offset` durable.
  void note_durable(int64_t next_offset);
  // Blocks until `offset` is durable. Concurrent callers share syncs: one of them performs it
  // for everything appended so far while the others wait for its outcome.
  [[nodiscard]] Result<void> wait_durable(int64_t offset);

  // Deletes whole non-active segments past retention.ms (by their max timestamp) or beyond
  // retention.bytes, oldest first. Returns how many were deleted.
  [[nodiscard]] Result<int> enforce_retention(int64_t now_ms);
  // Removes every batch holding an offset ≥ `offset`; returns the new high watermark (the base
  // of the batch that held `offset`).
  [[nodiscard]] Result<int64_t> truncate_to(int64_t offset);
  // Advances the log start offset (DeleteRecords) durably and deletes segments wholly below it.
  [[nodiscard]] Result<int64_t> delete_records_before(int64_t offset);

  // Syncs, writes the indexes and a clean-shutdown marker so the next open skips the scan.
  // Later appends fail with kClosed.
  [[nodiscard]] Result<void> close();

  const std::string& dir() const { return dir_; }
  // The id journal records carry for this log (0 without a journal).
  uint64_t log_id() const { return log_id_; }

  PartitionLog(Env& env, std::string dir, LogConfig config);

 private:
  [[nodiscard]] Result<void> recover(RecoveryReport& report, Journal* journal);
  [[nodiscard]] Result<void> load_log_id();
  [[nodiscard]] Result<void> replay(std::vector<JournalRecord> records, RecoveryReport& report);
  [[nodiscard]] Result<void> roll_locked(int64_t now_ms);
  [[nodiscard]] Result<void> delete_segment_locked(size_t index);
  [[nodiscard]] Result<void> sync_now();
  // kFenced or kClosed when appends are refused, else nullopt.
  std::optional<Error> write_refusal_locked() const;
  // Records the first failure; the log refuses writes from now on.
  void fence_locked(const Error& error);
  size_t segment_for_locked(int64_t offset) const;
  // Sets up the active segment's space ahead of its end: reserved blocks, and pre-written
  // zeros when fdatasync answers acknowledgements.
  void plan_ahead(Segment& active) const;

  Env& env_;
  const std::string dir_;
  const LogConfig config_;
  Journal* journal_ = nullptr;  // set once open() recovered the log
  uint64_t log_id_ = 0;

  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<Segment>> segments_;  // by base offset; back() is active
  int64_t log_start_offset_ = 0;
  bool dir_dirty_ = false;
  bool closed_ = false;
  std::optional<Error> fence_;       // the failure that fenced the log
  std::atomic<bool> fenced_{false};  // fence_ is set; readable without mu_

  std::mutex sync_mu_;  // one fdatasync round at a time; taken before mu_
  std::vector<std::pair<std::shared_ptr<Segment>, uint64_t>> sync_batch_;  // under sync_mu_
  std::atomic<int64_t> durable_offset_{0};
  std::mutex durable_mu_;
  std::condition_variable durable_cv_;
  bool sync_in_flight_ = false;
};

}  // namespace velocity::storage
