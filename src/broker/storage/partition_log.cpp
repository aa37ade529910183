#include "broker/storage/partition_log.h"

#include <fmt/format.h>

#include "broker/storage/journal.h"

#include <algorithm>
#include <limits>

namespace velocity::storage {
namespace {

// Positions in a segment are 32-bit in the offset index.
constexpr uint64_t kMaxSegmentBytes = (1ull << 31) - 1;

LogConfig clamp(LogConfig c) {
  c.segment_bytes = std::clamp<uint64_t>(c.segment_bytes, 1024, kMaxSegmentBytes);
  c.index_interval_bytes = std::max<uint32_t>(c.index_interval_bytes, 1);
  return c;
}

}  // namespace

Result<void> FileRange::read_into(std::span<std::byte> out) const {
  auto n = file->read_at(position, out.first(length));
  if (!n) return std::unexpected(n.error());
  if (*n != length) {
    return fail(ErrorCode::kIo,
                fmt::format("{}: short read of {} bytes at {}", file->path(), length, position));
  }
  return {};
}

uint64_t ReadResult::total_bytes() const {
  uint64_t total = 0;
  for (const auto& r : ranges) total += r.length;
  return total;
}

PartitionLog::PartitionLog(Env& env, std::string dir, LogConfig config)
    : env_(env), dir_(std::move(dir)), config_(clamp(config)) {}

Result<PartitionLog::Opened> PartitionLog::open(Env& env, const std::string& dir, LogConfig config,
                                                Journal* journal) {
  auto log = std::make_shared<PartitionLog>(env, dir, config);
  RecoveryReport report;
  if (auto r = log->recover(report, journal); !r) return std::unexpected(r.error());
  if (journal) {
    log->journal_ = journal;
    journal->attach(log);
  }
  return Opened{std::move(log), std::move(report)};
}

std::optional<Error> PartitionLog::write_refusal_locked() const {
  if (!fence_ && journal_ && journal_->fenced()) {
    return Error{ErrorCode::kFenced, fmt::format("partition {} refuses writes after a journal "
                                                 "failure: {}",
                                                 dir_, journal_->failure()->message())};
  }
  if (fence_) {
    return Error{ErrorCode::kFenced,
                 fmt::format("partition {} refuses writes after: {}", dir_, fence_->message())};
  }
  if (closed_) return Error{ErrorCode::kClosed, fmt::format("partition {} is closed", dir_)};
  return std::nullopt;
}

void PartitionLog::fence_locked(const Error& error) {
  if (!fence_) fence_ = error;
  fenced_.store(true, std::memory_order_release);
}

size_t PartitionLog::segment_for_locked(int64_t offset) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](int64_t o, const auto& s) { return o < s->base_offset(); });
  return it == segments_.begin() ? 0 : static_cast<size_t>(std::prev(it) - segments_.begin());
}

Result<AppendResult> PartitionLog::append(std::span<std::byte> batches, int64_t now_ms) {
  if (batches.empty()) return fail(ErrorCode::kInvalidArgument, "append of no batches");
  // Check everything before taking the lock: it is CPU work on the caller's buffer, and a
  // request is all-or-nothing.
  AppendResult result;
  int64_t offset_span = 0;
  BatchWalker walker(batches);
  for (;;) {
    auto view = walker.next();
    if (!view) return fail(view.error().code, fmt::format("{}: {}", dir_, view.error().context));
    if (!*view) break;
    const auto& h = (*view)->header;
    if (h.total_size() > config_.max_batch_bytes) {
      return fail(ErrorCode::kTooLarge, fmt::format("{}: batch of {} bytes exceeds {}", dir_,
                                                    h.total_size(), config_.max_batch_bytes));
    }
    if (h.record_count < 1) {
      return fail(ErrorCode::kInvalidArgument, fmt::format("{}: batch without records", dir_));
    }
    offset_span += static_cast<int64_t>(h.last_offset_delta) + 1;
    result.max_timestamp = std::max(result.max_timestamp, h.max_timestamp);
  }

  std::unique_lock lock(mu_);
  if (auto refusal = write_refusal_locked()) return std::unexpected(*refusal);
  const auto& active = segments_.back();
  const bool full = active->size() > 0 && active->size() + batches.size() > config_.segment_bytes;
  const bool old = active->size() > 0 && active->first_append_ms() >= 0 &&
                   now_ms - active->first_append_ms() >= config_.segment_ms;
  const bool offsets_exhausted = active->next_offset() + offset_span - active->base_offset() >
                                 std::numeric_limits<uint32_t>::max();
  if (full || old || offsets_exhausted) {
    if (auto r = roll_locked(now_ms); !r) {
      fence_locked(r.error());
      return std::unexpected(r.error());
    }
  }
  const auto& segment = segments_.back();
  int64_t next = segment->next_offset();
  result.base_offset = next;
  for (size_t pos = 0; pos < batches.size();) {
    auto h = parse_batch_header(batches.subspan(pos));  // validated above
    set_base_offset(batches.subspan(pos), next);
    next += static_cast<int64_t>(h->last_offset_delta) + 1;
    pos += h->total_size();
  }
  if (auto r = segment->append(batches, now_ms); !r) {
    fence_locked(r.error());
    return std::unexpected(r.error());
  }
  // Under mu_, so this log's journal records are in offset order.
  if (journal_) {
    if (auto r =
            journal_->append_batches(weak_from_this(), log_id_, result.base_offset, next, batches);
        !r) {
      fence_locked(r.error());
      return std::unexpected(r.error());
    }
  }
  result.last_offset = next - 1;
  result.bytes = batches.size();
  return result;
}

bool PartitionLog::wants_prewrite() const {
  std::shared_lock lock(mu_);
  return !write_refusal_locked() && segments_.back()->wants_prewrite();
}

void PartitionLog::prewrite_ahead() {
  // Small steps: an acknowledging fdatasync that starts meanwhile writes at most one of them.
  constexpr uint64_t kStep = 128 << 10;
  std::shared_ptr<File> file;
  for (;;) {
    std::optional<std::pair<uint64_t, uint64_t>> written;
    {
      std::unique_lock lock(mu_);
      if (write_refusal_locked()) break;
      Segment& active = *segments_.back();
      written = active.prewrite_chunk(kStep);
      if (!written) break;
      file = active.writeback_file();
    }
    if (file) file->write_back(written->first, written->second - written->first);
  }
  // Makes the new file size durable here, so that no acknowledging sync has to. A failure is
  // not this log's to report: the zeros hold no data, and a write-back error of the file
  // reaches the log's own sync() too.
  if (file) (void)file->sync();
}

void PartitionLog::plan_ahead(Segment& active) const {
  // Without fdatasync there is no inode write to spare, only zeros to write for nothing.
  const bool prewrite = config_.durability == Durability::kFsync;
  active.plan_ahead(config_.preallocate_bytes, prewrite ? config_.prewrite_bytes : 0,
                    config_.segment_bytes);
}

Result<void> PartitionLog::roll_locked(int64_t now_ms) {
  (void)now_ms;
  const auto& sealed = segments_.back();
  // Recovery trusts sealed segments: they are synced, with their indexes, before a successor
  // exists, so a torn write can only ever be at the end of the last segment.
  const bool durable = config_.durability == Durability::kFsync;
  // A sealed segment never grows again: give its unused reserved blocks back.
  if (auto r = sealed->release_reservation(); !r) return r;
  if (durable) {
    if (auto r = sealed->log_file()->sync(); !r) return r;
    sealed->mark_synced(sealed->size());
  }
  if (auto r = sealed->write_index_files(durable); !r) return r;
  auto next = Segment::create(env_, dir_, sealed->next_offset(), config_.index_interval_bytes);
  if (!next) return std::unexpected(next.error());
  plan_ahead(**next);
  segments_.push_back(std::move(*next));
  dir_dirty_ = true;
  return {};
}

Result<ReadResult> PartitionLog::read(int64_t offset, uint64_t max_bytes) const {
  std::shared_lock lock(mu_);
  ReadResult out;
  out.high_watermark = segments_.back()->next_offset();
  out.log_start_offset = log_start_offset_;
  if (offset < log_start_offset_ || offset > out.high_watermark) {
    return fail(ErrorCode::kOutOfRange, fmt::format("{}: offset {} outside [{}, {}]", dir_, offset,
                                                    log_start_offset_, out.high_watermark));
  }
  uint64_t budget = max_bytes;
  for (size_t i = segment_for_locked(offset); i < segments_.size(); ++i) {
    const auto& segment = segments_[i];
    auto start = out.ranges.empty() ? segment->position_of(offset) : Result<uint64_t>(0);
    if (!start) return std::unexpected(start.error());
    if (*start >= segment->size()) continue;
    auto end = segment->end_of_batches_within(*start, budget);
    if (!end) return std::unexpected(end.error());
    const uint64_t length = *end - *start;
    // Only the first batch may exceed the budget (so a consumer always makes progress).
    if (!out.ranges.empty() && length > budget) break;
    out.ranges.push_back(FileRange{segment->log_file(), *start, length});
    // Continue into the next segment only after taking all of this one: ranges must stay
    // contiguous in offsets.
    if (length >= budget || *end < segment->size()) break;
    budget -= length;
  }
  return out;
}

Result<std::optional<int64_t>> PartitionLog::offset_for_timestamp(int64_t timestamp) const {
  std::shared_lock lock(mu_);
  for (size_t i = segment_for_locked(log_start_offset_); i < segments_.size(); ++i) {
    if (segments_[i]->max_timestamp() < timestamp) continue;
    auto found = segments_[i]->offset_for_timestamp(timestamp);
    if (!found) return std::unexpected(found.error());
    if (*found) return std::optional<int64_t>{std::max(**found, log_start_offset_)};
  }
  return std::optional<int64_t>{};
}

Result<void> PartitionLog::scan_headers(
    int64_t offset, const std::function<bool(const BatchHeader&)>& visit) const {
  std::shared_lock lock(mu_);
  for (size_t i = segment_for_locked(offset); i < segments_.size(); ++i) {
    const auto& segment = segments_[i];
    auto pos = segment->position_of(std::max(offset, segment->base_offset()));
    if (!pos) return std::unexpected(pos.error());
    for (uint64_t p = *pos; p < segment->size();) {
      auto h = segment->header_at(p);
      if (!h) return std::unexpected(h.error());
      if (!visit(*h)) return {};
      p += h->total_size();
    }
  }
  return {};
}

int64_t PartitionLog::log_start_offset() const {
  std::shared_lock lock(mu_);
  return log_start_offset_;
}

int64_t PartitionLog::high_watermark() const {
  std::shared_lock lock(mu_);
  return segments_.back()->next_offset();
}

uint64_t PartitionLog::size_bytes() const {
  std::shared_lock lock(mu_);
  uint64_t total = 0;
  for (const auto& s : segments_) total += s->size();
  return total;
}

size_t PartitionLog::segment_count() const {
  std::shared_lock lock(mu_);
  return segments_.size();
}

Result<void> PartitionLog::sync_now() {
  std::lock_guard sync_lock(sync_mu_);
  int64_t target = 0;
  bool dir_dirty = false;
  sync_batch_.clear();
  {
    std::unique_lock lock(mu_);
    // A journal failure may have lost what this log appended since its last sync, so the
    // log is fenced with it: its segments could not be trusted to hold the acknowledged data.
    if (!fence_ && journal_ && journal_->fenced()) fence_locked(*journal_->failure());
    if (fence_) return std::unexpected(*write_refusal_locked());
    target = segments_.back()->next_offset();
    for (const auto& s : segments_) {
      if (s->size() > s->synced_size()) sync_batch_.emplace_back(s, s->size());
    }
    dir_dirty = dir_dirty_;
    dir_dirty_ = false;
  }
  // fdatasync outside mu_: appends keep landing in the page cache meanwhile and are picked up
  // by the next round.
  if (config_.durability == Durability::kFsync) {
    Result<void> r;
    for (const auto& [segment, size] : sync_batch_) {
      r = segment->log_file()->sync();
      if (!r) break;
    }
    if (r && dir_dirty) r = env_.sync_dir(dir_);
    if (!r) {
      std::unique_lock lock(mu_);
      fence_locked(r.error());
      return r;
    }
  }
  {
    std::unique_lock lock(mu_);
    for (const auto& [segment, size] : sync_batch_) segment->mark_synced(size);
  }
  sync_batch_.clear();
  {
    std::lock_guard d(durable_mu_);
    if (target > durable_offset_.load()) durable_offset_.store(target, std::memory_order_release);
  }
  durable_cv_.notify_all();
  return {};
}

Result<void> PartitionLog::sync() {
  return sync_now();
}

void PartitionLog::start_writeback() {
  std::vector<std::shared_ptr<File>> dirty;
  {
    std::shared_lock lock(mu_);
    for (const auto& s : segments_) {
      if (s->size() > s->synced_size()) dirty.push_back(s->log_file());
    }
  }
  for (const auto& file : dirty) file->start_writeback();
}

void PartitionLog::note_durable(int64_t next_offset) {
  {
    std::lock_guard d(durable_mu_);
    if (fenced_.load(std::memory_order_acquire)) return;
    if (next_offset > durable_offset_.load()) {
      durable_offset_.store(next_offset, std::memory_order_release);
    }
  }
  durable_cv_.notify_all();
}

Result<void> PartitionLog::wait_durable(int64_t offset) {
  std::unique_lock lk(durable_mu_);
  for (;;) {
    if (durable_offset_.load(std::memory_order_acquire) > offset) return {};
    if (fenced_.load(std::memory_order_acquire)) {
      return fail(ErrorCode::kFenced, fmt::format("{}: an earlier write or sync failed", dir_));
    }
    if (offset >= high_watermark()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: offset {} was never appended", dir_, offset));
    }
    if (sync_in_flight_) {
      durable_cv_.wait(lk);
      continue;
    }
    // Leader: sync everything appended so far on behalf of every waiter.
    sync_in_flight_ = true;
    lk.unlock();
    auto r = sync_now();
    lk.lock();
    sync_in_flight_ = false;
    durable_cv_.notify_all();
    if (!r) return r;
  }
}

}  // namespace velocity::storage
