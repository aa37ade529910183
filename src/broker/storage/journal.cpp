#include "broker/storage/journal.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "broker/storage/partition_log.h"
#include "common/log.h"

namespace velocity::storage {
namespace {

constexpr std::string_view kJournalSuffix = ".journal";

// "<20 digits>.journal" → its sequence number.
std::optional<uint64_t> sequence_from_name(std::string_view name) {
  if (name.size() != 20 + kJournalSuffix.size() || !name.ends_with(kJournalSuffix)) {
    return std::nullopt;
  }
  uint64_t sequence = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, sequence);
  if (ec != std::errc() || end != name.data() + 20) return std::nullopt;
  return sequence;
}

}  // namespace

Journal::Journal(Env& env, std::string dir, JournalOptions options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Journal::~Journal() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

std::string Journal::file_name(uint64_t sequence) {
  return fmt::format("{:020}{}", sequence, kJournalSuffix);
}

Result<std::unique_ptr<Journal>> Journal::open(Env& env, std::string dir, JournalOptions options) {
  auto journal = std::make_unique<Journal>(env, std::move(dir), options);
  auto& j = *journal;
  if (auto r = env.create_dirs(j.dir_); !r) return std::unexpected(r.error());
  auto names = env.list_dir(j.dir_);
  if (!names) return std::unexpected(names.error());
  for (const auto& name : *names) {
    if (auto sequence = sequence_from_name(name)) j.old_files_.push_back(*sequence);
  }
  std::sort(j.old_files_.begin(), j.old_files_.end());
  for (uint64_t sequence : j.old_files_) {
    auto bytes = read_whole_file(env, j.dir_ + "/" + file_name(sequence));
    if (!bytes) return std::unexpected(bytes.error());
    auto scan = scan_journal(*bytes);
    ++j.report_.files;
    j.report_.records += scan.records.size();
    // A torn tail is the normal end of a journal after a crash: its record was never synced,
    // so never acknowledged. Records of a later file still count; if one of them needed the
    // dropped bytes, replay finds the gap in offsets and refuses the log.
    if (!scan.damage.empty()) {
      j.report_.bytes_dropped += scan.file_bytes - scan.valid_bytes;
      j.report_.notes.push_back(fmt::format("{}: ignored {} bytes after byte {}: {}",
                                            file_name(sequence), scan.file_bytes - scan.valid_bytes,
                                            scan.valid_bytes, scan.damage));
    }
    for (auto& record : scan.records) j.recovered_[record.log_id].push_back(std::move(record));
  }
  return journal;
}

std::vector<JournalRecord> Journal::take_recovered(uint64_t log_id) {
  std::lock_guard lock(recovery_mu_);
  auto it = recovered_.find(log_id);
  if (it == recovered_.end()) return {};
  auto records = std::move(it->second);
  recovered_.erase(it);
  report_.records_taken += records.size();
  return records;
}

Result<JournalRecoveryReport> Journal::finish_recovery() {
  JournalRecoveryReport report;
  {
    std::lock_guard lock(recovery_mu_);
    // Records of a log nobody opened: its partition was deleted (its log-id file went with
    // it), or its topic was never completely created. Replaying them anywhere would resurrect
    // deleted data or put it into another log.
    for (const auto& [id, records] : recovered_) {
      report_.records_orphaned += records.size();
      report_.notes.push_back(fmt::format(
          "skipped {} records of log {:016x}, which no longer exists", records.size(), id));
    }
    recovered_.clear();
    report = report_;
  }
  // Every log that took records synced them at open: the old files are no longer needed.
  {
    std::lock_guard checkpoint_lock(checkpoint_mu_);
    if (auto r = rotate_and_remove_old(); !r) return std::unexpected(r.error());
  }
  if (options_.background_checkpoints) checkpointer_ = std::thread([this] { run_checkpoints(); });
  return report;
}

void Journal::attach(const std::shared_ptr<PartitionLog>& log) {
  std::lock_guard lock(mu_);
  std::erase_if(logs_, [](const auto& weak) { return weak.expired(); });
  logs_.push_back(log);
}

Result<void> Journal::append_batches(const std::weak_ptr<PartitionLog>& log, uint64_t log_id,
                                     int64_t base_offset, int64_t next_offset,
                                     std::span<const std::byte> batches) {
  std::lock_guard lock(mu_);
  if (fence_) return fail(ErrorCode::kFenced, "journal refuses writes after: " + fence_->message());
  const size_t before = buffer_.size();
  encode_journal_record(buffer_, JournalRecordType::kBatches, log_id, base_offset, batches);
  file_bytes_ += buffer_.size() - before;
  covered_.push_back(Covered{log, next_offset});
  return {};
}

Result<void> Journal::append_truncation(uint64_t log_id, int64_t offset) {
  std::lock_guard lock(mu_);
  if (fence_) return fail(ErrorCode::kFenced, "journal refuses writes after: " + fence_->message());
  const size_t before = buffer_.size();
  encode_journal_record(buffer_, JournalRecordType::kTruncation, log_id, offset, {});
  file_bytes_ += buffer_.size() - before;
  return {};
}

Result<void> Journal::sync() {
  std::lock_guard sync_lock(sync_mu_);
  std::vector<std::byte> bytes;
  std::vector<Covered> covered;
  {
    std::lock_guard lock(mu_);
    if (fence_)
      return fail(ErrorCode::kFenced, "journal refuses syncs after: " + fence_->message());
    bytes.swap(buffer_);
    covered.swap(covered_);
  }
  // Appends land in a fresh buffer meanwhile and are picked up by the next sync.
  if (bytes.empty()) return {};
  Result<void> r;
  if (!file_) {
    r = fail(ErrorCode::kClosed, "journal " + dir_ + " has no file (recovery not finished)");
  } else {
    r = file_->write_at(written_, bytes);
    if (r) r = file_->sync();
  }
  if (!r) {
    // After a failed write or fdatasync the kernel may have dropped the pages: what this sync
    // covered may be nowhere durable, so nothing it covered may ever be reported durable.
    std::lock_guard lock(mu_);
    if (!fence_) fence_ = r.error();
    fenced_.store(true, std::memory_order_release);
    return r;
  }
  written_ += bytes.size();
  for (const auto& c : covered) {
    if (auto log = c.log.lock()) log->note_durable(c.next_offset);
  }
  prewrite_ahead();
  std::lock_guard lock(mu_);
  ++syncs_;
  // Reuse the larger buffer for the next round's appends.
  if (buffer_.empty() && bytes.capacity() > buffer_.capacity()) {
    bytes.clear();
    buffer_.swap(bytes);
  }
  return {};
}

void Journal::prewrite_ahead() {
  const uint64_t step = options_.prewrite_bytes;
  if (step == 0 || prewrite_failed_ || prewritten_ >= written_ + step / 2) return;
  // After the acknowledgements: the zeros become durable with the next round's records.
  const uint64_t to = written_ + step;
  if (auto r = write_zeros(*file_, std::max(prewritten_, written_), to); !r) {
    // Only an optimisation: the records are durable, and zeros written so far are a clean end.
    prewrite_failed_ = true;
    log::warn("journal {}: stopped pre-writing: {}", dir_, r.error().message());
    return;
  }
  prewritten_ = to;
}

Result<void> Journal::rotate_and_remove_old() {
  std::vector<uint64_t> old;
  {
    std::lock_guard sync_lock(sync_mu_);
    const uint64_t next = std::max(sequence_, old_files_.empty() ? 0 : old_files_.back()) + 1;
    auto file = env_.open_file(dir_ + "/" + file_name(next), OpenMode::kCreateTruncate);
    if (!file) return std::unexpected(file.error());
    // The new file must exist before the old one goes, or a crash could leave no journal
    // while records it would have held are still only in the page cache.
    if (auto r = env_.sync_dir(dir_); !r) return r;
    old.swap(old_files_);
    if (file_) old.push_back(sequence_);
    file_ = std::move(*file);
    sequence_ = next;
    written_ = 0;
    prewritten_ = 0;
    std::lock_guard lock(mu_);
    file_bytes_ = buffer_.size();  // the buffered records go into the new file
  }
  for (uint64_t sequence : old) {
    if (auto r = env_.remove(dir_ + "/" + file_name(sequence));
        !r && r.error().code != ErrorCode::kNotFound) {
      return r;
    }
  }
  return env_.sync_dir(dir_);
}

Result<void> Journal::checkpoint() {
  std::lock_guard checkpoint_lock(checkpoint_mu_);
  if (fenced())
    return fail(ErrorCode::kFenced, "journal refuses checkpoints after: " + failure()->message());
  // Start the new file first: records written from now on go there, and every record of the
  // old file was appended before the logs' syncs below begin, so those syncs cover it.
  std::vector<uint64_t> old;
  {
    std::lock_guard sync_lock(sync_mu_);
    const uint64_t next = sequence_ + 1;
    auto file = env_.open_file(dir_ + "/" + file_name(next), OpenMode::kCreateTruncate);
    if (!file) return std::unexpected(file.error());
    if (auto r = env_.sync_dir(dir_); !r) return r;
    old.push_back(sequence_);
    file_ = std::move(*file);
    sequence_ = next;
    written_ = 0;
    prewritten_ = 0;
    std::lock_guard lock(mu_);
    file_bytes_ = buffer_.size();
    last_checkpoint_ = std::chrono::steady_clock::now();
  }
  // Taken after the rotation: a log attached before it may have records in the old file; one
  // attached after it has none there (a log appends only once attached).
  std::vector<std::shared_ptr<PartitionLog>> logs;
  {
    std::lock_guard lock(mu_);
    std::erase_if(logs_, [](const auto& weak) { return weak.expired(); });
    for (const auto& weak : logs_) {
      if (auto log = weak.lock()) logs.push_back(std::move(log));
    }
  }
  for (const auto& log : logs) {
    // A log that cannot sync (fenced) keeps the old file alive: its records are still the
    // only durable copy of what it acknowledged. The next checkpoint tries again.
    if (auto r = log->sync(); !r) {
      std::lock_guard sync_lock(sync_mu_);
      old_files_.insert(old_files_.end(), old.begin(), old.end());
      return fail(r.error().code, "journal checkpoint: " + r.error().message());
    }
  }
  {
    std::lock_guard sync_lock(sync_mu_);
    old.insert(old.end(), old_files_.begin(), old_files_.end());
    old_files_.clear();
  }
  for (uint64_t sequence : old) {
    if (auto r = env_.remove(dir_ + "/" + file_name(sequence));
        !r && r.error().code != ErrorCode::kNotFound) {
      return r;
    }
  }
  if (auto r = env_.sync_dir(dir_); !r) return r;
  std::lock_guard lock(mu_);
  ++checkpoints_;
  return {};
}

void Journal::run_checkpoints() {
  std::unique_lock stop_lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(stop_lock, std::chrono::milliseconds(100));
    if (stopping_) break;
    bool due = false;
    {
      std::lock_guard lock(mu_);
      const auto age = std::chrono::steady_clock::now() - last_checkpoint_;
      due =
          !fence_ &&
          (file_bytes_ >= options_.checkpoint_bytes ||
           (file_bytes_ > 0 && age >= std::chrono::milliseconds(options_.checkpoint_interval_ms)));
    }
    stop_lock.unlock();
    if (!due) {
      // Spread the segments' writeback over the interval instead of leaving it all to the
      // checkpoint's fdatasyncs, which would then hold the disk while acks wait for the
      // journal's.
      std::vector<std::shared_ptr<PartitionLog>> logs;
      {
        std::lock_guard lock(mu_);
        for (const auto& weak : logs_) {
          if (auto log = weak.lock()) logs.push_back(std::move(log));
        }
      }
      for (const auto& log : logs) log->start_writeback();
      stop_lock.lock();
      continue;
    }
    if (auto r = checkpoint(); !r) log::warn("{}", r.error().message());
    stop_lock.lock();
  }
}

Result<void> Journal::close() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  return checkpoint();
}

std::optional<Error> Journal::failure() const {
  std::lock_guard lock(mu_);
  return fence_;
}

uint64_t Journal::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

uint64_t Journal::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

uint64_t Journal::current_bytes() const {
  std::lock_guard lock(mu_);
  return file_bytes_;
}

}  // namespace velocity::storage
