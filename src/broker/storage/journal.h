// Journal: one write-ahead journal shared by every partition log of a broker, so that making
// an acks=all produce durable costs one write + fdatasync of one file per round (group commit)
// instead of one fdatasync per partition. Each log append is also appended here (a record:
// the log's id, base offset, the batches as written to the segment, a CRC); sync() writes what
// was buffered and fdatasyncs it, then advances the durable_offset() of every log it covered.
// Segments are then made durable only at checkpoints: every log is synced the normal way, a new
// journal file started and the old one deleted. At start-up the journal's records are replayed
// into logs that lost them (PartitionLog::open). Format and rules: docs/storage.md, "Journal".
//
// Thread-safety: every method may be called from any thread. `mu_` guards the buffer (taken by
// appends under a log's lock, so a log's records are in offset order); `sync_mu_` serialises
// writes, fdatasyncs and file rotation. A failed write or fdatasync fences the journal: later
// appends and syncs fail with kFenced, and so do the logs attached to it (their unsynced data
// may be in no durable place). Ownership: the broker owns it; it must outlive every log opened
// with it. Logs are held weakly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "broker/storage/env.h"
#include "broker/storage/journal_format.h"
#include "common/result.h"

namespace velocity::storage {

class PartitionLog;

struct JournalOptions {
  // A checkpoint starts once the current file holds this many bytes, or once it holds any and
  // the last checkpoint is this old.
  uint64_t checkpoint_bytes = 64ull << 20;
  int64_t checkpoint_interval_ms = 10000;
  // Run checkpoints from a background thread (off in tests that call checkpoint() themselves).
  bool background_checkpoints = true;
  // After a sync, zeros are written this far past the records (when less than half of it is
  // left), so the next syncs overwrite blocks within the file's size and their fdatasync
  // writes data only; a scan takes the zeros for the clean end they are. 0 = off.
  uint64_t prewrite_bytes = 1ull << 20;
};

// What open() read and finish_recovery() left behind.
struct JournalRecoveryReport {
  size_t files = 0;
  size_t records = 0;
  size_t records_taken = 0;     // handed to a log that exists
  size_t records_orphaned = 0;  // of logs that no longer exist (deleted topics): skipped
  uint64_t bytes_dropped = 0;   // torn or invalid tails
  std::vector<std::string> notes;
};

class Journal {
 public:
  // Opens (creating if needed) the journal directory and reads every journal file in order,
  // keeping the valid records for take_recovered(). Nothing is written until finish_recovery().
  [[nodiscard]] static Result<std::unique_ptr<Journal>> open(Env& env, std::string dir,
                                                             JournalOptions options = {});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // The recovered records of one log, in journal order (at most once per log id).
  std::vector<JournalRecord> take_recovered(uint64_t log_id);
  // Call after every log was opened (and so took and synced its records): starts an empty
  // journal file, removes the old ones and starts background checkpoints. Records nobody took
  // belong to logs that no longer exist and are dropped.
  [[nodiscard]] Result<JournalRecoveryReport> finish_recovery();

  // Registers a log for checkpoints.
  void attach(const std::shared_ptr<PartitionLog>& log);
  // Buffers a record of `batches` (offsets assigned, first at `base_offset`); once synced,
  // `log`'s durable offset advances to `next_offset`.
  [[nodiscard]] Result<void> append_batches(const std::weak_ptr<PartitionLog>& log, uint64_t log_id,
                                            int64_t base_offset, int64_t next_offset,
                                            std::span<const std::byte> batches);
  // Buffers a record saying the log was truncated to `offset`.
  [[nodiscard]] Result<void> append_truncation(uint64_t log_id, int64_t offset);
  // Writes everything buffered so far and fdatasyncs it (one group commit), then advances the
  // durable offsets it covers. A failure fences the journal.
  [[nodiscard]] Result<void> sync();
  // Makes every attached log durable by itself (PartitionLog::sync), then replaces the journal
  // file with an empty one. kFenced after a journal failure.
  [[nodiscard]] Result<void> checkpoint();
  // Stops background checkpoints and checkpoints once: afterwards the journal holds nothing.
  [[nodiscard]] Result<void> close();

  // The failure that fenced the journal, if any.
  std::optional<Error> failure() const;
  bool fenced() const { return fenced_.load(std::memory_order_acquire); }
  uint64_t syncs() const;
  uint64_t checkpoints() const;
  // Bytes in the current journal file, written or buffered.
  uint64_t current_bytes() const;
  const std::string& dir() const { return dir_; }

  Journal(Env& env, std::string dir, JournalOptions options);

 private:
  struct Covered {
    std::weak_ptr<PartitionLog> log;
    int64_t next_offset;
  };
  static std::string file_name(uint64_t sequence);
  [[nodiscard]] Result<void> rotate_and_remove_old();
  void prewrite_ahead();  // under sync_mu_
  void run_checkpoints();

  Env& env_;
  const std::string dir_;
  const JournalOptions options_;

  std::mutex recovery_mu_;
  std::map<uint64_t, std::vector<JournalRecord>> recovered_;  // by log id, under recovery_mu_
  JournalRecoveryReport report_;                              // under recovery_mu_
  std::vector<uint64_t> old_files_;                           // sequences read at open

  mutable std::mutex mu_;
  std::vector<std::byte> buffer_;  // encoded records not yet written
  std::vector<Covered> covered_;   // what buffer_ makes durable
  uint64_t file_bytes_ = 0;        // written to the current file, plus buffer_
  std::optional<Error> fence_;
  std::atomic<bool> fenced_{false};
  std::vector<std::weak_ptr<PartitionLog>> logs_;
  uint64_t syncs_ = 0;
  uint64_t checkpoints_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();

  std::mutex sync_mu_;          // taken before mu_
  std::shared_ptr<File> file_;  // under sync_mu_
  uint64_t sequence_ = 0;       // of file_, under sync_mu_
  uint64_t written_ = 0;        // bytes written to file_, under sync_mu_
  uint64_t prewritten_ = 0;     // file_'s size with the zeros past written_, under sync_mu_
  bool prewrite_failed_ = false;  // under sync_mu_

  std::mutex checkpoint_mu_;  // one checkpoint at a time; taken before sync_mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // under stop_mu_
  std::thread checkpointer_;
};

}  // namespace velocity::storage
