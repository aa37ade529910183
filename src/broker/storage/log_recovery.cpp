// PartitionLog::recover and close: the open and shutdown halves of the on-disk contract
// (docs/storage.md). Each recovery rule is written where it is applied.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

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

Result<void> PartitionLog::recover(RecoveryReport& report) {
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
        if (!last || scan.valid_batch_after_damage) {
          auto name = Segment::file_name(bases[i], ".log");
          if (auto r = segment->quarantine(); !r) return r;
          return fail(ErrorCode::kCorrupt,
                      fmt::format("partition {}: segment {} is damaged before its tail ({}); "
                                  "renamed to {}.corrupt",
                                  dir_, name, scan.damage, name));
        }
        // A torn or zero-filled tail of the last segment was never synced, hence never
        // acknowledged as durable: cut it off and say so.
        const uint64_t dropped = scan.file_bytes - scan.valid_bytes;
        if (auto r = segment->truncate_file_to_valid_size(); !r) return r;
        report.bytes_truncated += dropped;
        report.notes.push_back(fmt::format("{}: truncated {} bytes at byte {}: {}",
                                           Segment::file_name(bases[i], ".log"), dropped,
                                           scan.valid_bytes, scan.damage));
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
  const auto& active = segments_.back();
  active->reserve_ahead(config_.preallocate_bytes, config_.segment_bytes);
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
