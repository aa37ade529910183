// PartitionLog::recover and close: the open and shutdown halves of the on-disk contract
// (docs/storage.md). Each recovery rule is written where it is applied.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>

#include "broker/storage/journal.h"
#include "broker/storage/log_files.h"
#include "broker/storage/partition_log.h"
#include "common/big_endian.h"
#include "common/crc32c.h"

namespace velocity::storage {

std::vector<std::byte> encode_log_start(int64_t offset) {
  std::vector<std::byte> out(12);
  store_be<int64_t>(out.data(), offset);
  store_be<uint32_t>(out.data() + 8, crc32c(std::span<const std::byte>(out).first(8)));
  return out;
}

std::optional<int64_t> decode_log_start(std::span<const std::byte> bytes) {
  if (bytes.size() != 12 || crc32c(bytes.first(8)) != load_be<uint32_t>(bytes.data() + 8)) {
    return std::nullopt;
  }
  return load_be<int64_t>(bytes.data());
}

std::optional<int64_t> segment_base_from_name(std::string_view name) {
  if (name.size() != 24 || !name.ends_with(".log")) return std::nullopt;
  int64_t base = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, base);
  if (ec != std::errc() || end != name.data() + 20 || base < 0) return std::nullopt;
  return base;
}

Result<void> PartitionLog::load_log_id() {
  const std::string path = dir_ + "/" + std::string(kLogIdFile);
  if (auto bytes = read_whole_file(env_, path)) {
    auto id = decode_log_start(*bytes);
    // Written atomically and synced before any journal record names it: a bad one is damage,
    // and guessing an id could replay another log's records here.
    if (!id)
      return fail(ErrorCode::kCorrupt,
                  fmt::format("partition {}: unreadable {}", dir_, kLogIdFile));
    log_id_ = static_cast<uint64_t>(*id);
    return {};
  } else if (bytes.error().code != ErrorCode::kNotFound) {
    return std::unexpected(bytes.error());
  }
  std::random_device device;
  do {
    log_id_ = static_cast<uint64_t>(device()) << 32 | device();
  } while (log_id_ == 0);
  return write_file_atomically(env_, dir_, std::string(kLogIdFile),
                               encode_log_start(static_cast<int64_t>(log_id_)),
                               config_.durability == Durability::kFsync);
}

// Appends what the journal holds beyond the segments' end: batches acknowledged once the
// journal was synced, whose segment writes had not reached the disk. Single-threaded (open).
Result<void> PartitionLog::replay(std::vector<JournalRecord> records, RecoveryReport& report) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (auto& record : records) {
    if (record.type == JournalRecordType::kTruncation) {
      // Batches removed by truncate_to stay removed, even if a record above brought them back.
      if (record.offset < segments_.back()->next_offset()) {
        if (auto r = truncate_to(record.offset); !r) return std::unexpected(r.error());
        report.notes.push_back(fmt::format("journal: truncated to {} again", record.offset));
      }
      continue;
    }
    std::span<std::byte> bytes(record.batches);
    for (size_t pos = 0; pos < bytes.size();) {
      auto h = parse_batch_header(bytes.subspan(pos));
      if (!h || h->total_size() > bytes.size() - pos ||
          !validate_batch(bytes.subspan(pos, h->total_size()))) {
        return fail(ErrorCode::kCorrupt,
                    fmt::format("partition {}: journal record at offset {} holds an invalid batch",
                                dir_, record.offset));
      }
      const auto batch = bytes.subspan(pos, h->total_size());
      pos += h->total_size();
      const int64_t end = segments_.back()->next_offset();
      // Already in the segments (synced at a roll, or written back by the kernel before the
      // crash): nothing to do. This is also what keeps a replay from duplicating anything.
      if (h->last_offset() < end) continue;
      // A batch must continue the log exactly. A gap means acknowledged batches are in neither
      // the segments nor the journal: stay offline rather than serve a log with a hole.
      if (h->base_offset != end) {
        return fail(ErrorCode::kCorrupt,
                    fmt::format("partition {}: the journal holds offset {} but the log ends at "
                                "{}: acknowledged records are missing",
                                dir_, h->base_offset, end));
      }
      const auto& active = segments_.back();
      if (active->size() > 0 && active->size() + batch.size() > config_.segment_bytes) {
        if (auto r = roll_locked(now_ms); !r) return r;
      }
      if (auto r = segments_.back()->append(batch, now_ms); !r) return r;
      ++report.journal_batches_replayed;
    }
  }
  if (report.journal_batches_replayed > 0) {
    report.notes.push_back(fmt::format("journal: appended {} batches the segments had lost",
                                       report.journal_batches_replayed));
  }
  return {};
}

Result<void> PartitionLog::recover(RecoveryReport& report, Journal* journal) {
  if (auto r = env_.create_dirs(dir_); !r) return r;
  auto names = env_.list_dir(dir_);
  if (!names) return std::unexpected(names.error());
  std::vector<int64_t> bases;
  for (const auto& name : *names) {
    // A quarantined segment means acknowledged data may be missing: stay offline until an
    // operator has looked, rather than serve a log with a hole in it.
    if (name.ends_with(".corrupt")) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("partition {}: quarantined segment {} must be inspected and "
                              "removed by an operator",
                              dir_, name));
    }
    // A .tmp is an atomic replacement that never reached its rename: the old file is intact.
    if (name.ends_with(".tmp")) {
      if (auto r = env_.remove(dir_ + "/" + name); !r) return r;
      report.notes.push_back(fmt::format("removed unfinished {}", name));
      continue;
    }
    if (name == kCleanShutdownFile) report.clean_shutdown = true;
    if (auto base = segment_base_from_name(name)) bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  // Index files of a segment that is gone (deletion interrupted after the .log) are dropped.
  for (const auto& name : *names) {
    for (std::string_view ext : {".index", ".timeindex"}) {
      if (!name.ends_with(ext)) continue;
      auto log_name = name.substr(0, name.size() - ext.size()) + ".log";
      if (!std::binary_search(bases.begin(), bases.end(),
                              segment_base_from_name(log_name).value_or(-1))) {
        if (auto r = env_.remove(dir_ + "/" + name); !r) return r;
      }
    }
  }

  // With a journal, everything this log appended since the journal's last checkpoint is in
  // the journal; what came before was synced by that checkpoint.
  std::vector<JournalRecord> journaled;
  std::optional<int64_t> journal_from;
  if (journal) {
    if (auto r = load_log_id(); !r) return r;
    journaled = journal->take_recovered(log_id_);
    for (const auto& record : journaled) {
      if (record.type == JournalRecordType::kBatches) {
        journal_from = std::min(journal_from.value_or(record.offset), record.offset);
      }
    }
  }

  std::optional<int64_t> checkpoint;
  if (auto bytes = read_whole_file(env_, dir_ + "/" + std::string(kLogStartFile))) {
    checkpoint = decode_log_start(*bytes);
    // Written atomically, so a bad one is damage, not a torn write; fall back to the segments.
    if (!checkpoint) report.notes.push_back("ignored an unreadable log-start-offset file");
  }

  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    // Sealed segments were synced with their indexes before a successor was created, so valid
    // index files can be trusted. The last segment's indexes are trusted only after a clean
    // shutdown; otherwise it is scanned, as is any segment whose indexes fail validation.
    auto opened = Segment::open(env_, dir_, bases[i], config_.index_interval_bytes,
                                report.clean_shutdown || !last);
    if (!opened) return std::unexpected(opened.error());
    auto& segment = opened->segment;
    ++report.segments_opened;
    if (opened->scan) {
      ++report.segments_scanned;
      const auto& scan = *opened->scan;
      if (!scan.damage.empty()) {
        // Damage followed by a valid batch, or in a sealed segment, is inside data that was
        // (or may have been) acknowledged: quarantine it and keep the partition offline.
        // Except, in the last segment, where the journal holds everything from the damage
        // on: segments are not synced per acknowledgement then, so a power loss can leave a
        // hole that the kernel's writeback of later pages made look like mid-log damage. The
        // journal replay below refills it, or finds a gap and refuses the log.
        const bool journal_covers = last && journal_from && *journal_from <= segment->next_offset();
        if (!last || (scan.valid_batch_after_damage && !journal_covers)) {
          auto name = Segment::file_name(bases[i], ".log");
          if (auto r = segment->quarantine(); !r) return r;
          return fail(ErrorCode::kCorrupt,
                      fmt::format("partition {}: segment {} is damaged before its tail ({}); "
                                  "renamed to {}.corrupt",
                                  dir_, name, scan.damage, name));
        }
        // A torn or zero-filled tail of the last segment was never synced, hence never
        // acknowledged as durable: cut it off and say so.
        const uint64_t torn = scan.file_bytes - scan.valid_bytes - scan.zero_tail_bytes;
        if (auto r = segment->truncate_file_to_valid_size(); !r) return r;
        report.bytes_truncated += torn;
        report.zero_bytes_dropped += scan.zero_tail_bytes;
        report.notes.push_back(fmt::format("{}: truncated {} bytes at byte {} ({} torn, {} zero): {}",
                                           Segment::file_name(bases[i], ".log"),
                                           scan.file_bytes - scan.valid_bytes, scan.valid_bytes,
                                           torn, scan.zero_tail_bytes, scan.damage));
      }
    }
    // Offsets must run on from one segment to the next; a gap or overlap means files were
    // lost or mixed up, which no truncation can repair.
    if (!segments_.empty() && segments_.back()->next_offset() != segment->base_offset()) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("partition {}: segment {} starts at {} but the one before ends "
                              "at {}",
                              dir_, Segment::file_name(bases[i], ".log"), segment->base_offset(),
                              segments_.back()->next_offset()));
    }
    segments_.push_back(std::move(segment));
  }

  if (segments_.empty()) {
    auto fresh = Segment::create(env_, dir_, checkpoint.value_or(0), config_.index_interval_bytes);
    if (!fresh) return std::unexpected(fresh.error());
    segments_.push_back(std::move(*fresh));
    dir_dirty_ = true;
  }
  if (journal) {
    if (auto r = replay(std::move(journaled), report); !r) return r;
  }
  const auto& active = segments_.back();
  plan_ahead(*active);
  // The active segment's index files would go stale with the first append; the in-memory
  // indexes are authoritative until the next seal or close rewrites them.
  if (auto r = active->remove_index_files(); !r) return r;
  if (report.clean_shutdown) {
    // The marker must be gone for good before anything changes, or a crash would make the
    // next open trust stale state.
    if (auto r = env_.remove(dir_ + "/" + std::string(kCleanShutdownFile)); !r) return r;
  }
  const int64_t hwm = active->next_offset();
  log_start_offset_ = std::clamp(checkpoint.value_or(0), segments_.front()->base_offset(), hwm);
  // What recovery kept may sit only in the page cache (the process died, the machine did
  // not); sync it so durable_offset() is true from the start.
  if (config_.durability == Durability::kFsync) {
    if (auto r = active->log_file()->sync(); !r) return r;
    if (auto r = env_.sync_dir(dir_); !r) return r;
    dir_dirty_ = false;
  }
  active->mark_synced(active->size());
  durable_offset_.store(hwm);
  return {};
}

Result<void> PartitionLog::close() {
  if (auto r = sync_now(); !r) return r;
  std::unique_lock lock(mu_);
  if (closed_) return {};
  closed_ = true;
  if (fence_) return std::unexpected(*write_refusal_locked());
  const bool durable = config_.durability == Durability::kFsync;
  for (const auto& segment : segments_) {
    // Blocks reserved past the active segment's end go back to the filesystem while the
    // partition is closed; the next open reserves again as appends arrive.
    if (auto r = segment->release_reservation(); !r) return r;
    if (segment->index_files_current()) continue;  // sealed segments wrote theirs at the roll
    if (auto r = segment->write_index_files(durable); !r) return r;
  }
  return write_file_atomically(env_, dir_, std::string(kCleanShutdownFile), {}, durable);
}

}  // namespace velocity::storage
