// One segment of a partition: a .log file of v2 record batches with contiguous offsets, plus a
// sparse offset index and a time index kept in memory and written to .index/.timeindex when
// the segment is sealed or the log closes (format: docs/storage.md). Not thread-safe: the
// owning PartitionLog serialises access. The log File is shared, so readers holding it keep it
// readable after the segment is deleted.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/storage/env.h"
#include "broker/storage/index_file.h"
#include "broker/storage/record_batch.h"

namespace velocity::storage {

// What a batch-by-batch check of a .log file found.
struct SegmentScan {
  uint64_t valid_bytes = 0;  // prefix of valid batches with contiguous offsets
  uint64_t file_bytes = 0;
  std::string damage;  // why the scan stopped before file_bytes; empty if it did not
  // Zeros that end the file after the damage (or are all of it): pre-written space, or pages
  // whose writes never reached the disk. Never part of a batch.
  uint64_t zero_tail_bytes = 0;
  // A valid batch starts somewhere after the damage: the damage is not a torn tail.
  bool valid_batch_after_damage = false;
};

class Segment {
 public:
  // "00000000000000000042" + ext (".log", ".index", ".timeindex").
  static std::string file_name(int64_t base_offset, std::string_view ext);

  // Creates an empty segment file.
  [[nodiscard]] static Result<std::shared_ptr<Segment>> create(Env& env, const std::string& dir,
                                                               int64_t base_offset,
                                                               uint32_t index_interval);

  // Opens an existing segment. With `use_index_files`, valid .index/.timeindex files are loaded
  // and the log is not scanned; otherwise (or if they are missing, stale or damaged) every
  // batch is read and CRC-checked and the indexes are rebuilt. `scan` is set when scanned.
  struct Opened {
    std::shared_ptr<Segment> segment;
    std::optional<SegmentScan> scan;
  };
  [[nodiscard]] static Result<Opened> open(Env& env, const std::string& dir, int64_t base_offset,
                                           uint32_t index_interval, bool use_index_files);

  // Space ahead of size(), never past `limit` (0 steps = none of that kind):
  // - Reserved disk blocks: before each append that would write past the reservation, blocks
  //   are reserved in steps of size() bytes (at least 1 MiB, at most `reserve_step`). They are
  //   not part of the file's size, so readers and recovery never see them.
  // - Pre-written zeros: written past the end by prewrite_chunk(), off the append path, so
  //   that appends overwrite blocks the file already holds, within its size, and the next
  //   fdatasync writes only data; without them each fdatasync of a growing file also writes
  //   the inode. Appends never write zeros: one that reaches past them grows the file. The
  //   zeros are past size(): readers never see them, and recovery takes them for what they
  //   are, a zero-filled tail.
  void plan_ahead(uint64_t reserve_step, uint64_t prewrite_step, uint64_t limit) {
    reserve_step_ = reserve_step;
    prewrite_step_ = prewrite_step;
    ahead_limit_ = limit;
  }
  // Whether fewer than half a pre-write step of zeros lie ahead of size() (and the limit
  // leaves room for more).
  bool wants_prewrite() const {
    return file_end_ < std::min(size_ + prewrite_step_ / 2, ahead_limit_);
  }
  // Writes the next zeros at the file's end: up to `prewrite_step` past size(), never past the
  // limit, at most `max_bytes` at a time. Returns the range written, or nullopt when there is
  // nothing to write or the write failed (pre-writing is then off for this segment; zeros
  // written before stay a harmless zero-filled tail).
  std::optional<std::pair<uint64_t, uint64_t>> prewrite_chunk(uint64_t max_bytes);
  // A descriptor of this segment's file of its own, for writing pre-written zeros back without
  // taking a share of the write-back errors that the log's sync() must report; null if it
  // cannot be opened.
  std::shared_ptr<File> writeback_file();

  // Gives back what lies past size() (when the segment is sealed or the log closes): reserved
  // blocks, including any an earlier process reserved for it, and pre-written zeros.
  [[nodiscard]] Result<void> release_reservation();

  // Writes `batches` (validated, offsets assigned, starting at next_offset()) at the end.
  // On failure the visible size is unchanged; the file may hold a partial write past it.
  [[nodiscard]] Result<void> append(std::span<const std::byte> batches, int64_t now_ms);

  // Position of the batch holding `offset` (the first with last offset ≥ offset), or size().
  [[nodiscard]] Result<uint64_t> position_of(int64_t offset) const;
  // End of the batches from `start` that fit in `max_bytes` (at least one batch).
  [[nodiscard]] Result<uint64_t> end_of_batches_within(uint64_t start, uint64_t max_bytes) const;
  // Base offset of the first batch whose max timestamp is ≥ `timestamp`.
  [[nodiscard]] Result<std::optional<int64_t>> offset_for_timestamp(int64_t timestamp) const;
  // Header of the batch at `position` (< size()).
  [[nodiscard]] Result<BatchHeader> header_at(uint64_t position) const;

  // Drops every batch that holds an offset ≥ `offset` and rebuilds the indexes.
  [[nodiscard]] Result<void> truncate_to(int64_t offset);
  // Cuts the file to size() (after recovery found a torn tail).
  [[nodiscard]] Result<void> truncate_file_to_valid_size();

  [[nodiscard]] Result<void> write_index_files(bool durable);
  // The .index/.timeindex files on disk describe the current content.
  bool index_files_current() const { return index_files_current_; }
  [[nodiscard]] Result<void> remove_index_files();
  [[nodiscard]] Result<void> remove_files();
  // Moves the .log aside as .log.corrupt for an operator to inspect.
  [[nodiscard]] Result<void> quarantine();

  int64_t base_offset() const { return base_offset_; }
  int64_t next_offset() const { return next_offset_; }
  uint64_t size() const { return size_; }
  uint64_t synced_size() const { return synced_size_; }
  void mark_synced(uint64_t size) { synced_size_ = std::max(synced_size_, size); }
  int64_t max_timestamp() const { return max_timestamp_; }
  int64_t first_append_ms() const { return first_append_ms_; }
  const std::shared_ptr<File>& log_file() const { return log_; }
  const std::vector<IndexEntry>& offset_index() const { return offset_index_; }
  const std::vector<TimeIndexEntry>& time_index() const { return time_index_; }

  Segment(Env& env, std::string dir, int64_t base_offset, uint32_t index_interval,
          std::shared_ptr<File> log);

 private:
  void index_batch(const BatchHeader& h, uint64_t position);
  void clear_indexes();
  [[nodiscard]] Result<SegmentScan> scan_and_index();
  [[nodiscard]] Result<bool> load_index_files();
  [[nodiscard]] Result<void> reindex_headers();
  struct TailShape {
    bool all_zero = true;
    bool valid_batch_after = false;
    uint64_t nonzero_end = 0;  // one past the tail's last byte that is not zero
  };
  [[nodiscard]] Result<TailShape> inspect_tail(uint64_t position, uint64_t file_bytes) const;
  std::string path(std::string_view ext) const;

  Env& env_;
  std::string dir_;
  int64_t base_offset_;
  uint32_t index_interval_;
  std::shared_ptr<File> log_;
  uint64_t size_ = 0;
  uint64_t synced_size_ = 0;
  uint64_t reserve_step_ = 0;
  uint64_t ahead_limit_ = 0;  // neither reserved blocks nor zeros go past it
  uint64_t reserved_end_ = 0;  // blocks up to here were reserved (or written) by this process
  uint64_t prewrite_step_ = 0;
  uint64_t file_end_ = 0;  // the file's size: size() plus any pre-written zeros
  std::shared_ptr<File> writeback_file_;  // opened by writeback_file()
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  int64_t first_append_ms_ = -1;
  uint64_t last_indexed_position_ = 0;
  uint64_t last_time_indexed_position_ = 0;
  bool index_files_current_ = false;
  std::vector<IndexEntry> offset_index_;
  std::vector<TimeIndexEntry> time_index_;
  // Where the newest batch starts (it ends at size() and holds offsets up to next_offset()),
  // so that a read at the tail (a consumer keeping up) finds its bytes without reading batch
  // headers back from the file. Unknown (-1) in a segment whose indexes came from its index
  // files.
  int64_t last_batch_base_offset_ = -1;
  uint64_t last_batch_position_ = 0;
};

}  // namespace velocity::storage
