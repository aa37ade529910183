// The shared journal on a FakeEnv: group commit, what a crash at each step leaves, replay,
// deleted partitions, truncation, failures.
#include "broker/storage/journal.h"

#include <gtest/gtest.h>

#include <future>

#include "broker/storage/flusher.h"
#include "broker/storage/log_files.h"
#include "broker/storage/log_test_util.h"

namespace velocity::storage {
namespace {

using testing::batch;

JournalOptions manual() {
  JournalOptions options;
  options.background_checkpoints = false;
  return options;
}

LogConfig small_segments() {
  LogConfig config;
  config.segment_bytes = 4096;  // a roll every few batches
  return config;
}

// A broker's storage in miniature: one journal, `n` logs in /p0, /p1, ...
struct Storage {
  std::unique_ptr<Journal> journal;
  std::vector<std::shared_ptr<PartitionLog>> logs;
  std::vector<RecoveryReport> reports;
  JournalRecoveryReport journal_report;
};

Storage open_storage(FakeEnv& env, size_t n, LogConfig config = small_segments()) {
  Storage s;
  auto journal = Journal::open(env, "/j", manual());
  EXPECT_TRUE(journal) << journal.error().message();
  s.journal = std::move(*journal);
  for (size_t i = 0; i < n; ++i) {
    auto opened = PartitionLog::open(env, "/p" + std::to_string(i), config, s.journal.get());
    EXPECT_TRUE(opened) << opened.error().message();
    s.logs.push_back(opened->log);
    s.reports.push_back(opened->report);
  }
  auto report = s.journal->finish_recovery();
  EXPECT_TRUE(report) << report.error().message();
  s.journal_report = *report;
  return s;
}

// Every batch of a log, byte for byte, in offset order.
std::vector<std::vector<std::byte>> batches_of(const PartitionLog& log) {
  std::vector<std::vector<std::byte>> out;
  int64_t next = log.log_start_offset();
  while (next < log.high_watermark()) {
    auto r = log.read(next, 1);
    EXPECT_TRUE(r) << r.error().message();
    if (!r || r->ranges.empty()) break;
    std::vector<std::byte> bytes(r->ranges[0].length);
    EXPECT_TRUE(r->ranges[0].read_into(bytes));
    auto h = validate_batch(bytes);
    EXPECT_TRUE(h);
    if (!h) break;
    EXPECT_EQ(h->base_offset, next);
    next = h->last_offset() + 1;
    out.push_back(std::move(bytes));
  }
  return out;
}

// Appends a distinct batch to log `i` and remembers its bytes as stored (offset assigned).
struct Writer {
  std::vector<std::vector<std::vector<std::byte>>> written;  // per log, per batch
  uint8_t seed = 1;

  void append(Storage& s, size_t i) {
    if (written.size() < s.logs.size()) written.resize(s.logs.size());
    auto bytes = batch(2, 1000, 200, seed++);
    auto r = s.logs[i]->append(bytes, 0);
    ASSERT_TRUE(r) << r.error().message();
    written[i].push_back(bytes);
  }
};

// `rounds` rounds of one batch to every log, each round made durable by one journal sync.
void write_rounds(Storage& s, Writer& w, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < s.logs.size(); ++i) w.append(s, i);
    ASSERT_TRUE(s.journal->sync());
  }
}

TEST(Journal, OneSyncMakesEveryLogDurableWithoutSyncingSegments) {
  FakeEnv env;
  auto s = open_storage(env, 4);
  Writer w;
  for (size_t i = 0; i < 4; ++i) w.append(s, i);
  for (auto& log : s.logs) EXPECT_EQ(log->durable_offset(), 0);
  const int before = env.file_syncs();
  ASSERT_TRUE(s.journal->sync());
  EXPECT_EQ(env.file_syncs() - before, 1);  // the journal file only
  for (auto& log : s.logs) EXPECT_EQ(log->durable_offset(), 2);
}

TEST(Journal, AckedBatchesSurviveLosingEveryUnsyncedSegmentWrite) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 3);
    write_rounds(s, w, 10);
  }
  env.drop_unsynced();
  auto s = open_storage(env, 3);
  uint64_t replayed = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(batches_of(*s.logs[i]), w.written[i]) << "log " << i;
    replayed += s.reports[i].journal_batches_replayed;
  }
  EXPECT_GT(replayed, 0u);
  EXPECT_EQ(s.journal_report.records, 30u);
  // Recovery synced what it replayed and emptied the journal: a second crash loses nothing.
  s = {};
  env.drop_unsynced();
  s = open_storage(env, 3);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(batches_of(*s.logs[i]), w.written[i]) << "log " << i;
  EXPECT_EQ(s.journal_report.records, 0u);
}

TEST(Journal, BatchesAlreadyInTheSegmentsAreNotAppendedTwice) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 2);
    write_rounds(s, w, 5);
    ASSERT_TRUE(s.logs[0]->sync());  // log 0's segments hold everything, log 1's nothing
  }
  env.drop_unsynced();
  auto s = open_storage(env, 2);
  EXPECT_EQ(s.reports[0].journal_batches_replayed, 0u);
  EXPECT_EQ(s.reports[1].journal_batches_replayed, 5u);
  EXPECT_EQ(batches_of(*s.logs[0]), w.written[0]);
  EXPECT_EQ(batches_of(*s.logs[1]), w.written[1]);
}

TEST(Journal, UnsyncedJournalRecordsAreNotReplayed) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 1);
    w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());
    w.append(s, 0);  // never acknowledged
  }
  env.drop_unsynced();
  auto s = open_storage(env, 1);
  EXPECT_EQ(batches_of(*s.logs[0]), std::vector(w.written[0].begin(), w.written[0].begin() + 1));
}

// Runs appends, group commits and checkpoints on two logs, taking a crash image before every
// fdatasync (journal, segments, rolls, checkpoints, rotations), and checks that recovering
// each image keeps every batch acknowledged by then, once, with nothing between them lost.
TEST(Journal, AcknowledgedBatchesSurviveACrashBeforeEverySync) {
  FakeEnv env;
  struct Image {
    std::shared_ptr<FakeEnv> env;
    std::vector<size_t> acked;  // per log: the first `acked` batches were acknowledged
  };
  std::vector<Image> images;
  std::vector<size_t> acked(2, 0);
  Writer w;
  {
    auto s = open_storage(env, 2);
    env.before_sync([&] {
      images.push_back({std::make_shared<FakeEnv>(env.crash_image()), acked});
    });
    for (int round = 0; round < 12; ++round) {
      w.append(s, 0);
      w.append(s, round % 3 == 0 ? 0 : 1);
      ASSERT_TRUE(s.journal->sync());
      for (size_t i = 0; i < 2; ++i) acked[i] = w.written[i].size();
      if (round % 4 == 3) {
        ASSERT_TRUE(s.journal->checkpoint());
      }
    }
    env.before_sync(nullptr);
  }
  ASSERT_GT(images.size(), 20u);
  for (size_t n = 0; n < images.size(); ++n) {
    auto& image = images[n];
    auto s = open_storage(*image.env, 2);
    for (size_t i = 0; i < 2; ++i) {
      auto got = batches_of(*s.logs[i]);
      ASSERT_GE(got.size(), image.acked[i]) << "image " << n << " log " << i;
      // Whatever is there is exactly what was written, in order: a prefix, no duplicates.
      ASSERT_LE(got.size(), w.written[i].size()) << "image " << n << " log " << i;
      EXPECT_TRUE(std::equal(got.begin(), got.end(), w.written[i].begin()))
          << "image " << n << " log " << i;
    }
  }
}

TEST(Journal, CheckpointSyncsTheLogsAndEmptiesTheJournal) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 2);
    w.append(s, 0);
    w.append(s, 1);
    ASSERT_TRUE(s.journal->sync());
    ASSERT_GT(s.journal->current_bytes(), 0u);
    ASSERT_TRUE(s.journal->checkpoint());
    EXPECT_EQ(s.journal->current_bytes(), 0u);
    auto names = env.list_dir("/j");
    ASSERT_TRUE(names);
    EXPECT_EQ(names->size(), 1u);  // the old file is gone
  }
  env.drop_unsynced();
  auto s = open_storage(env, 2);
  EXPECT_EQ(s.journal_report.records, 0u);
  EXPECT_EQ(batches_of(*s.logs[0]), w.written[0]);
  EXPECT_EQ(batches_of(*s.logs[1]), w.written[1]);
}

TEST(Journal, CloseLeavesAnEmptyJournal) {
  FakeEnv env;
  auto s = open_storage(env, 1);
  Writer w;
  w.append(s, 0);
  ASSERT_TRUE(s.journal->sync());
  ASSERT_TRUE(s.logs[0]->close());
  ASSERT_TRUE(s.journal->close());
  auto names = env.list_dir("/j");
  ASSERT_TRUE(names);
  ASSERT_EQ(names->size(), 1u);
  EXPECT_TRUE(env.content("/j/" + names->front()).empty());
}

TEST(Journal, RecordsOfADeletedPartitionAreSkipped) {
  FakeEnv env;
  {
    auto s = open_storage(env, 1);
    Writer w;
    for (int i = 0; i < 3; ++i) w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());
  }
  env.drop_unsynced();
  // The topic is deleted and created again under the same name before the journal is read.
  for (const auto& path : env.file_paths()) {
    if (path.starts_with("/p0/")) {
      ASSERT_TRUE(env.remove(path));
    }
  }
  auto s = open_storage(env, 1);
  EXPECT_EQ(s.logs[0]->high_watermark(), 0);
  EXPECT_EQ(s.journal_report.records_orphaned, 3u);
  EXPECT_EQ(s.journal_report.records_taken, 0u);
}

TEST(Journal, TruncatedBatchesAreNotResurrected) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 1);
    w.append(s, 0);
    w.append(s, 0);
    w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());
    auto end = s.logs[0]->truncate_to(2);  // drops the second and third batches
    ASSERT_TRUE(end);
    ASSERT_EQ(*end, 2);
    w.written[0].resize(1);
    w.append(s, 0);  // a different batch at offset 2
    ASSERT_TRUE(s.journal->sync());
  }
  env.drop_unsynced();
  auto s = open_storage(env, 1);
  EXPECT_EQ(batches_of(*s.logs[0]), w.written[0]);
}

TEST(Journal, AGapBetweenTheLogAndTheJournalIsCorruption) {
  FakeEnv env;
  {
    auto s = open_storage(env, 1);
    Writer w;
    w.append(s, 0);
    w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());
  }
  env.drop_unsynced();
  // Lose the journal's first record: the second cannot follow the empty segment.
  auto names = env.list_dir("/j");
  ASSERT_TRUE(names && names->size() == 1);
  const std::string path = "/j/" + names->front();
  auto scan = scan_journal(env.content(path));
  ASSERT_EQ(scan.records.size(), 2u);
  std::vector<std::byte> damaged;
  const auto& r = scan.records[1];
  encode_journal_record(damaged, r.type, r.log_id, r.offset, r.batches);
  env.set_content(path, damaged);
  auto journal = Journal::open(env, "/j", manual());
  ASSERT_TRUE(journal);
  auto opened = PartitionLog::open(env, "/p0", small_segments(), journal->get());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(opened.error().message().find("missing"), std::string::npos)
      << opened.error().message();
}

// Zeroes the second batch of `path`, as if a power loss kept the pages written back before and
// after it but not its own; returns the content's batch count.
size_t punch_hole_in_second_batch(FakeEnv& env, const std::string& path) {
  auto bytes = env.content(path);
  BatchWalker walker(bytes);
  std::vector<std::pair<size_t, size_t>> spans;
  size_t pos = 0;
  while (auto v = walker.next()) {
    if (!*v) break;
    spans.emplace_back(pos, (*v)->header.total_size());
    pos += (*v)->header.total_size();
  }
  EXPECT_GE(spans.size(), 3u);
  std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(spans[1].first), spans[1].second,
              std::byte{0});
  env.set_content(path, bytes);
  return spans.size();
}

TEST(Journal, HoleInTheActiveSegmentIsRefilledFromTheJournal) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 1, LogConfig{});
    for (int i = 0; i < 3; ++i) w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());
  }
  ASSERT_EQ(punch_hole_in_second_batch(env, "/p0/00000000000000000000.log"), 3u);
  env.drop_unsynced();
  auto s = open_storage(env, 1, LogConfig{});
  EXPECT_EQ(batches_of(*s.logs[0]), w.written[0]);
  EXPECT_EQ(s.reports[0].journal_batches_replayed, 2u);
}

TEST(Journal, HoleTheJournalDoesNotCoverIsStillCorruption) {
  FakeEnv env;
  {
    auto s = open_storage(env, 1, LogConfig{});
    Writer w;
    for (int i = 0; i < 3; ++i) w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());
    ASSERT_TRUE(s.journal->checkpoint());  // the segment is synced, the journal emptied
    w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());  // the journal now holds only the fourth batch
  }
  ASSERT_EQ(punch_hole_in_second_batch(env, "/p0/00000000000000000000.log"), 4u);
  env.drop_unsynced();
  auto journal = Journal::open(env, "/j", manual());
  ASSERT_TRUE(journal);
  auto opened = PartitionLog::open(env, "/p0", LogConfig{}, journal->get());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kCorrupt);
  EXPECT_FALSE(env.content("/p0/00000000000000000000.log.corrupt").empty());
}

TEST(Journal, TornTailIsDroppedAndReported) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 1);
    w.append(s, 0);
    ASSERT_TRUE(s.journal->sync());
  }
  env.drop_unsynced();
  auto names = env.list_dir("/j");
  ASSERT_TRUE(names && names->size() == 1);
  auto bytes = env.content("/j/" + names->front());
  bytes.insert(bytes.end(), {std::byte{0}, std::byte{0}, std::byte{1}, std::byte{7}, std::byte{9}});
  env.set_content("/j/" + names->front(), bytes);
  auto s = open_storage(env, 1);
  EXPECT_EQ(batches_of(*s.logs[0]), w.written[0]);
  EXPECT_EQ(s.journal_report.bytes_dropped, 5u);
}

// After a sync the journal writes zeros past its records, so the next syncs overwrite them
// within the file's size; a crash leaves those zeros, which a scan takes for a clean end.
TEST(Journal, PrewrittenZerosAreACleanEndAfterACrash) {
  FakeEnv env;
  Writer w;
  {
    auto s = open_storage(env, 2);
    write_rounds(s, w, 5);
  }
  env.drop_unsynced();
  auto names = env.list_dir("/j");
  ASSERT_TRUE(names && names->size() == 1);
  const auto bytes = env.content("/j/" + names->front());
  const auto scan = scan_journal(bytes);
  EXPECT_TRUE(scan.damage.empty()) << scan.damage;
  EXPECT_TRUE(scan.zero_tail);
  EXPECT_EQ(scan.records.size(), 10u);
  EXPECT_GE(bytes.size(), scan.valid_bytes + (512u << 10)) << "synced zeros follow the records";
  auto s = open_storage(env, 2);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(batches_of(*s.logs[i]), w.written[i]) << "log " << i;
  EXPECT_EQ(s.journal_report.records, 10u);
  EXPECT_EQ(s.journal_report.bytes_dropped, 0u);
}

TEST(Journal, FailedSyncFailsTheRoundAndNothingItCoveredIsEverDurable) {
  FakeEnv env;
  auto s = open_storage(env, 2);
  Writer w;
  w.append(s, 0);
  w.append(s, 1);
  {
    Flusher flusher(4, s.journal.get());
    env.fail_syncs(true);
    std::vector<std::promise<Result<void>>> answers(2);
    for (size_t i = 0; i < 2; ++i) {
      flusher.request(s.logs[i], 0, [&answers, i](Result<void> r) { answers[i].set_value(r); });
    }
    for (auto& a : answers) {
      auto r = a.get_future().get();
      ASSERT_FALSE(r);
      // The round that met the failure says so; a later round finds the journal fenced.
      EXPECT_TRUE(r.error().code == ErrorCode::kIo || r.error().code == ErrorCode::kFenced)
          << r.error().message();
    }
    env.fail_syncs(false);
    // The journal stays fenced, and so do its logs: no later sync may call those bytes durable.
    std::promise<Result<void>> again;
    flusher.request(s.logs[0], 0, [&again](Result<void> r) { again.set_value(r); });
    EXPECT_FALSE(again.get_future().get());
  }
  EXPECT_TRUE(s.journal->fenced());
  EXPECT_FALSE(s.logs[0]->sync());
  auto more = batch(1);
  auto appended = s.logs[1]->append(more, 0);
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, ErrorCode::kFenced);
  EXPECT_FALSE(s.journal->checkpoint());
  for (auto& log : s.logs) EXPECT_EQ(log->durable_offset(), 0);
}

TEST(Journal, FlusherAnswersEveryLogOfARoundWithOneJournalSync) {
  FakeEnv env;
  auto s = open_storage(env, 8);
  Writer w;
  for (size_t i = 0; i < 8; ++i) w.append(s, i);
  const int before = env.file_syncs();
  {
    Flusher flusher(8, s.journal.get());
    std::vector<std::promise<Result<void>>> answers(8);
    for (size_t i = 0; i < 8; ++i) {
      flusher.request(s.logs[i], 1, [&answers, i](Result<void> r) { answers[i].set_value(r); });
    }
    for (auto& a : answers) EXPECT_TRUE(a.get_future().get());
    // However the requests fell into rounds, the first journal sync covered all eight logs.
    EXPECT_EQ(env.file_syncs() - before, 1);
    // An offset never appended is refused, not reported durable.
    std::promise<Result<void>> beyond;
    flusher.request(s.logs[0], 5, [&beyond](Result<void> r) { beyond.set_value(r); });
    EXPECT_FALSE(beyond.get_future().get());
  }
}

}  // namespace
}  // namespace velocity::storage
