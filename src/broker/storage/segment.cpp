#include "broker/storage/segment.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace velocity::storage {
namespace {

constexpr uint64_t kMinReserveStep = 1 << 20;

}  // namespace

std::string Segment::file_name(int64_t base_offset, std::string_view ext) {
  return fmt::format("{:020}{}", base_offset, ext);
}

Segment::Segment(Env& env, std::string dir, int64_t base_offset, uint32_t index_interval,
                 std::shared_ptr<File> log)
    : env_(env),
      dir_(std::move(dir)),
      base_offset_(base_offset),
      index_interval_(index_interval),
      log_(std::move(log)),
      next_offset_(base_offset) {}

std::string Segment::path(std::string_view ext) const {
  return dir_ + "/" + file_name(base_offset_, ext);
}

Result<std::shared_ptr<Segment>> Segment::create(Env& env, const std::string& dir,
                                                 int64_t base_offset, uint32_t index_interval) {
  auto file = env.open_file(dir + "/" + file_name(base_offset, ".log"), OpenMode::kCreateTruncate);
  if (!file) return std::unexpected(file.error());
  return std::make_shared<Segment>(env, dir, base_offset, index_interval, std::move(*file));
}

Result<Segment::Opened> Segment::open(Env& env, const std::string& dir, int64_t base_offset,
                                      uint32_t index_interval, bool use_index_files) {
  auto file = env.open_file(dir + "/" + file_name(base_offset, ".log"), OpenMode::kExisting);
  if (!file) return std::unexpected(file.error());
  Opened out{std::make_shared<Segment>(env, dir, base_offset, index_interval, std::move(*file)),
             std::nullopt};
  if (use_index_files) {
    auto loaded = out.segment->load_index_files();
    if (!loaded) return std::unexpected(loaded.error());
    if (*loaded) return out;
  }
  auto scan = out.segment->scan_and_index();
  if (!scan) return std::unexpected(scan.error());
  out.scan = std::move(*scan);
  return out;
}

void Segment::clear_indexes() {
  offset_index_.clear();
  time_index_.clear();
  max_timestamp_ = -1;
  last_indexed_position_ = 0;
  last_time_indexed_position_ = 0;
  next_offset_ = base_offset_;
  last_batch_base_offset_ = -1;
}

void Segment::index_batch(const BatchHeader& h, uint64_t position) {
  const auto relative = static_cast<uint32_t>(h.base_offset - base_offset_);
  if (offset_index_.empty() || position - last_indexed_position_ >= index_interval_) {
    offset_index_.push_back({relative, static_cast<uint32_t>(position)});
    last_indexed_position_ = position;
  }
  if (h.max_timestamp > max_timestamp_) {
    max_timestamp_ = h.max_timestamp;
    if (time_index_.empty() || position - last_time_indexed_position_ >= index_interval_) {
      time_index_.push_back({h.max_timestamp, relative});
      last_time_indexed_position_ = position;
    }
  }
  next_offset_ = h.last_offset() + 1;
  last_batch_base_offset_ = h.base_offset;
  last_batch_position_ = position;
}

Result<void> Segment::append(std::span<const std::byte> batches, int64_t now_ms) {
  index_files_current_ = false;
  const uint64_t end = size_ + batches.size();
  if (reserve_step_ > 0 && end > reserved_end_) {
    // Writing into reserved blocks spares the filesystem a block allocation on every write,
    // which bench/storage measured at about half the cost of a page-cache append on ext4.
    // Best effort: if the filesystem cannot reserve, appends carry on allocating as they go.
    // The step grows with the segment (its size, at least 1 MiB, at most the configured step),
    // so a quiet partition holds little unused space while a busy one reserves rarely.
    const uint64_t step = std::min(reserve_step_, std::max<uint64_t>(size_, kMinReserveStep));
    const uint64_t from = std::max(reserved_end_, size_);
    const uint64_t to = std::max(end, std::min(end + step, ahead_limit_));
    if (log_->reserve(from, to - from)) {
      reserved_end_ = to;
    } else {
      reserve_step_ = 0;
    }
  }
  if (auto r = log_->write_at(size_, batches); !r) return r;
  file_end_ = std::max(file_end_, end);
  if (size_ == 0) first_append_ms_ = now_ms;
  // The caller validated these bytes; parsing headers again is cheap and avoids carrying a list.
  size_t pos = 0;
  while (pos < batches.size()) {
    auto h = parse_batch_header(batches.subspan(pos));
    if (!h) return std::unexpected(h.error());
    index_batch(*h, size_ + pos);
    pos += h->total_size();
  }
  size_ += batches.size();
  return {};
}

std::optional<std::pair<uint64_t, uint64_t>> Segment::prewrite_chunk(uint64_t max_bytes) {
  const uint64_t target = std::min(size_ + prewrite_step_, ahead_limit_);
  if (file_end_ >= target) return std::nullopt;
  const uint64_t from = file_end_;
  const uint64_t to = std::min(target, from + max_bytes);
  if (!write_zeros(*log_, from, to)) {
    // Best effort, like the reservation: the file may hold some of the zeros, no more than `to`.
    file_end_ = std::max(file_end_, log_->size().value_or(file_end_));
    prewrite_step_ = 0;
    return std::nullopt;
  }
  file_end_ = to;
  return std::pair{from, to};
}

std::shared_ptr<File> Segment::writeback_file() {
  if (!writeback_file_) {
    auto opened = env_.open_file(path(".log"), OpenMode::kExisting);
    if (opened) writeback_file_ = std::move(*opened);
  }
  return writeback_file_;
}

Result<void> Segment::release_reservation() {
  // An active segment may hold blocks an earlier process reserved before it crashed, which
  // reserved_end_ does not know of, so it always truncates.
  if (reserved_end_ <= size_ && file_end_ <= size_ && reserve_step_ == 0 && prewrite_step_ == 0)
    return {};
  // Truncating to the current size frees the blocks past it and changes no byte of the data.
  if (auto r = log_->truncate(size_); !r) return r;
  reserved_end_ = size_;
  file_end_ = size_;
  writeback_file_.reset();
  return {};
}

Result<BatchHeader> Segment::header_at(uint64_t position) const {
  std::array<std::byte, kBatchHeaderSize> buf;
  auto n = log_->read_at(position, buf);
  if (!n) return std::unexpected(n.error());
  auto h = parse_batch_header(std::span<const std::byte>(buf.data(), *n));
  if (!h) {
    return fail(h.error().code,
                fmt::format("{} at byte {}: {}", path(".log"), position, h.error().context));
  }
  return h;
}

Result<uint64_t> Segment::position_of(int64_t offset) const {
  if (last_batch_base_offset_ >= 0 && offset >= last_batch_base_offset_) {
    return offset < next_offset_ ? last_batch_position_ : size_;
  }
  const int64_t relative = offset - base_offset_;
  auto it =
      std::upper_bound(offset_index_.begin(), offset_index_.end(), relative,
                       [](int64_t rel, const IndexEntry& e) { return rel < e.relative_offset; });
  uint64_t pos = it == offset_index_.begin() ? 0 : std::prev(it)->position;
  while (pos < size_) {
    auto h = header_at(pos);
    if (!h) return std::unexpected(h.error());
    if (h->last_offset() >= offset) return pos;
    pos += h->total_size();
  }
  return size_;
}

Result<uint64_t> Segment::end_of_batches_within(uint64_t start, uint64_t max_bytes) const {
  if (start >= size_) return size_;
  // The newest batch ends the segment; Kafka semantics: one batch even if too big.
  if (last_batch_base_offset_ >= 0 && start == last_batch_position_) return size_;
  auto first = header_at(start);
  if (!first) return std::unexpected(first.error());
  uint64_t end = start + first->total_size();  // Kafka semantics: one batch even if too big
  const uint64_t limit = start + max_bytes;
  if (end >= limit) return std::min(end, size_);
  if (limit >= size_) return size_;
  // Index positions are batch boundaries: jump to the last one within the limit.
  auto it = std::upper_bound(offset_index_.begin(), offset_index_.end(), limit,
                             [](uint64_t lim, const IndexEntry& e) { return lim < e.position; });
  if (it != offset_index_.begin() && std::prev(it)->position > end) end = std::prev(it)->position;
  while (end < size_) {
    auto h = header_at(end);
    if (!h) return std::unexpected(h.error());
    if (end + h->total_size() > limit) break;
    end += h->total_size();
  }
  return end;
}

Result<std::optional<int64_t>> Segment::offset_for_timestamp(int64_t timestamp) const {
  if (size_ == 0 || max_timestamp_ < timestamp) return std::optional<int64_t>{};
  // Every batch up to a time-index entry with timestamp < T has max timestamp < T, so the
  // first match lies at or after the last such entry.
  auto it = std::lower_bound(time_index_.begin(), time_index_.end(), timestamp,
                             [](const TimeIndexEntry& e, int64_t ts) { return e.timestamp < ts; });
  int64_t from = base_offset_;
  if (it != time_index_.begin()) from += std::prev(it)->relative_offset;
  auto pos = position_of(from);
  if (!pos) return std::unexpected(pos.error());
  for (uint64_t p = *pos; p < size_;) {
    auto h = header_at(p);
    if (!h) return std::unexpected(h.error());
    if (h->max_timestamp >= timestamp) return std::optional<int64_t>{h->base_offset};
    p += h->total_size();
  }
  return std::optional<int64_t>{};
}

Result<void> Segment::reindex_headers() {
  clear_indexes();
  for (uint64_t p = 0; p < size_;) {
    auto h = header_at(p);
    if (!h) return std::unexpected(h.error());
    index_batch(*h, p);
    p += h->total_size();
  }
  return {};
}

Result<void> Segment::truncate_to(int64_t offset) {
  auto pos = position_of(offset);
  if (!pos) return std::unexpected(pos.error());
  if (*pos >= size_) return {};
  index_files_current_ = false;
  if (auto r = log_->truncate(*pos); !r) return r;
  size_ = *pos;
  reserved_end_ = std::min(reserved_end_, size_);
  file_end_ = size_;
  synced_size_ = std::min(synced_size_, size_);
  if (size_ == 0) first_append_ms_ = -1;
  return reindex_headers();
}

Result<void> Segment::truncate_file_to_valid_size() {
  if (auto r = log_->truncate(size_); !r) return r;
  reserved_end_ = std::min(reserved_end_, size_);
  file_end_ = size_;
  return log_->sync();
}

Result<SegmentScan> Segment::scan_and_index() {
  clear_indexes();
  SegmentScan scan;
  auto file_bytes = log_->size();
  if (!file_bytes) return std::unexpected(file_bytes.error());
  scan.file_bytes = *file_bytes;
  file_end_ = scan.file_bytes;
  std::vector<std::byte> buf;
  uint64_t pos = 0;
  // Recovery rule: accept batches while each is complete, well-formed, CRC-valid and continues
  // the offsets of the one before; the first one that is not ends the valid prefix.
  while (pos < scan.file_bytes) {
    const uint64_t remaining = scan.file_bytes - pos;
    if (remaining < kBatchHeaderSize) {
      scan.damage = fmt::format("{} trailing bytes, less than a batch header", remaining);
      break;
    }
    auto h = header_at(pos);
    if (!h) {
      scan.damage = h.error().context;
      break;
    }
    if (h->total_size() > remaining) {
      scan.damage = fmt::format("batch at byte {} claims {} bytes, file has {} left", pos,
                                h->total_size(), remaining);
      break;
    }
    buf.resize(h->total_size());
    auto n = log_->read_at(pos, buf);
    if (!n) return std::unexpected(n.error());
    auto valid = validate_batch(std::span<const std::byte>(buf.data(), *n));
    if (!valid) {
      scan.damage = fmt::format("batch at byte {}: {}", pos, valid.error().context);
      break;
    }
    if (valid->base_offset != next_offset_) {
      scan.damage = fmt::format("batch at byte {} has base offset {}, expected {}", pos,
                                valid->base_offset, next_offset_);
      break;
    }
    index_batch(*valid, pos);
    pos += valid->total_size();
  }
  scan.valid_bytes = pos;
  size_ = pos;
  synced_size_ = pos;
  if (!scan.damage.empty()) {
    auto tail = inspect_tail(pos, scan.file_bytes);
    if (!tail) return std::unexpected(tail.error());
    if (tail->all_zero) scan.damage = fmt::format("zero-filled tail at byte {}", pos);
    scan.valid_batch_after_damage = tail->valid_batch_after;
    if (!tail->valid_batch_after) scan.zero_tail_bytes = scan.file_bytes - tail->nonzero_end;
  }
  return scan;
}

Result<Segment::TailShape> Segment::inspect_tail(uint64_t position, uint64_t file_bytes) const {
  // A torn write leaves garbage or zeros at the end and nothing valid after it. A batch that
  // validates somewhere after the damage proves the damage is inside acknowledged data.
  TailShape shape;
  shape.nonzero_end = position;
  constexpr size_t kWindow = 1 << 20;
  std::vector<std::byte> window;
  std::vector<std::byte> candidate;
  for (uint64_t start = position; start < file_bytes;) {
    window.resize(std::min<uint64_t>(kWindow, file_bytes - start));
    auto n = log_->read_at(start, window);
    if (!n) return std::unexpected(n.error());
    for (size_t i = 0; i < *n; ++i) {
      const uint64_t at = start + i;
      if (window[i] != std::byte{0}) {
        shape.all_zero = false;
        shape.nonzero_end = at + 1;
      }
      if (at == position || at + kBatchHeaderSize > file_bytes) continue;
      if (i + kBatchMagicPos < *n && window[i + kBatchMagicPos] != std::byte{kMagicV2}) continue;
      auto h = header_at(at);
      if (!h || h->total_size() > file_bytes - at) continue;
      candidate.resize(h->total_size());
      auto m = log_->read_at(at, candidate);
      if (!m) return std::unexpected(m.error());
      if (validate_batch(candidate)) {
        shape.valid_batch_after = true;
        shape.all_zero = false;
        return shape;
      }
    }
    start += *n;
    if (*n == 0) break;
  }
  return shape;
}

Result<bool> Segment::load_index_files() {
  auto offsets_bytes = read_whole_file(env_, path(".index"));
  auto times_bytes = read_whole_file(env_, path(".timeindex"));
  if (!offsets_bytes || !times_bytes) return false;
  auto offsets = decode_offset_index(*offsets_bytes);
  auto times = decode_time_index(*times_bytes);
  auto log_bytes = log_->size();
  if (!log_bytes) return std::unexpected(log_bytes.error());
  // Stale or damaged indexes are rebuilt, never trusted: they must describe exactly this log.
  if (!offsets || !times || offsets->log_bytes != *log_bytes || times->log_bytes != *log_bytes ||
      offsets->next_offset < base_offset_ || (*log_bytes > 0) == offsets->entries.empty()) {
    return false;
  }
  if (!offsets->entries.empty()) {
    const auto& last = offsets->entries.back();
    auto h = header_at(last.position);
    if (!h || h->base_offset != base_offset_ + last.relative_offset ||
        h->last_offset() >= offsets->next_offset) {
      return false;
    }
  }
  offset_index_ = std::move(offsets->entries);
  time_index_ = std::move(times->entries);
  size_ = *log_bytes;
  file_end_ = size_;
  synced_size_ = size_;
  next_offset_ = offsets->next_offset;
  max_timestamp_ = offsets->max_timestamp;
  last_indexed_position_ = offset_index_.empty() ? 0 : offset_index_.back().position;
  last_time_indexed_position_ = size_;
  index_files_current_ = true;
  return true;
}

Result<void> Segment::write_index_files(bool durable) {
  OffsetIndexFile offsets{size_, next_offset_, max_timestamp_, offset_index_};
  TimeIndexFile times{size_, time_index_};
  auto o = encode_offset_index(offsets);
  auto t = encode_time_index(times);
  if (auto r = write_file_atomically(env_, dir_, file_name(base_offset_, ".index"), o, durable);
      !r) {
    return r;
  }
  auto r = write_file_atomically(env_, dir_, file_name(base_offset_, ".timeindex"), t, durable);
  index_files_current_ = r.has_value();
  return r;
}

Result<void> Segment::remove_index_files() {
  index_files_current_ = false;
  for (std::string_view ext : {".index", ".timeindex"}) {
    auto r = env_.remove(path(ext));
    if (!r && r.error().code != ErrorCode::kNotFound) return r;
  }
  return {};
}

Result<void> Segment::remove_files() {
  if (auto r = remove_index_files(); !r) return r;
  return env_.remove(path(".log"));
}

Result<void> Segment::quarantine() {
  if (auto r = remove_index_files(); !r) return r;
  return env_.rename(path(".log"), path(".log.corrupt"));
}

}  // namespace velocity::storage
