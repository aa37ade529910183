#include "broker/storage/partition_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "broker/storage/fake_env.h"
#include "broker/storage/log_test_util.h"

namespace velocity::storage {
namespace {

using testing::batch;
using testing::read_all_headers;

class PartitionLogTest : public ::testing::Test {
 protected:
  std::shared_ptr<PartitionLog> open(LogConfig config = {}) {
    auto opened = PartitionLog::open(env_, "/p", config);
    EXPECT_TRUE(opened) << opened.error().message();
    report_ = opened->report;
    return opened->log;
  }

  AppendResult append(PartitionLog& log, std::vector<std::byte> bytes, int64_t now = 0) {
    auto r = log.append(bytes, now);
    EXPECT_TRUE(r) << r.error().message();
    return r.value_or(AppendResult{});
  }

  FakeEnv env_;
  RecoveryReport report_;
};

TEST_F(PartitionLogTest, AppendAssignsConsecutiveOffsetsByRewritingBaseOffsets) {
  auto log = open();
  EXPECT_EQ(append(*log, batch(3)).base_offset, 0);
  auto second = append(*log, batch(2));
  EXPECT_EQ(second.base_offset, 3);
  EXPECT_EQ(second.last_offset, 4);
  EXPECT_EQ(log->high_watermark(), 5);
  auto headers = read_all_headers(*log);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].base_offset, 0);
  EXPECT_EQ(headers[1].base_offset, 3);
}

TEST_F(PartitionLogTest, SeveralBatchesInOneRequestGetContiguousOffsets) {
  auto log = open();
  auto bytes = batch(2);
  auto more = batch(4, 2000);
  bytes.insert(bytes.end(), more.begin(), more.end());
  auto r = append(*log, bytes);
  EXPECT_EQ(r.base_offset, 0);
  EXPECT_EQ(r.last_offset, 5);
  EXPECT_EQ(r.max_timestamp, 2000);
  EXPECT_EQ(r.bytes, bytes.size());
  EXPECT_EQ(read_all_headers(*log)[1].base_offset, 2);
}

TEST_F(PartitionLogTest, RequestWithOneBadBatchWritesNothing) {
  auto log = open();
  auto bytes = batch(2);
  auto bad = batch(1);
  bad.back() ^= std::byte{0xff};
  bytes.insert(bytes.end(), bad.begin(), bad.end());
  auto r = log->append(bytes, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(log->high_watermark(), 0);
  EXPECT_EQ(log->size_bytes(), 0u);
}

TEST_F(PartitionLogTest, BatchAboveMaxBatchBytesIsTooLarge) {
  LogConfig config;
  config.max_batch_bytes = 200;
  auto log = open(config);
  auto big = batch(1, 0, 500);
  EXPECT_EQ(log->append(big, 0).error().code, ErrorCode::kTooLarge);
}

TEST_F(PartitionLogTest, OldMessageFormatIsUnsupported) {
  auto log = open();
  auto bytes = batch(1);
  bytes[kBatchMagicPos] = std::byte{1};
  EXPECT_EQ(log->append(bytes, 0).error().code, ErrorCode::kUnsupported);
}

TEST_F(PartitionLogTest, ReadStartsAtTheBatchHoldingTheOffset) {
  auto log = open();
  append(*log, batch(5));
  append(*log, batch(5));
  auto r = log->read(7, 1 << 20);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->ranges.size(), 1u);
  std::vector<std::byte> bytes(r->ranges[0].length);
  ASSERT_TRUE(r->ranges[0].read_into(bytes));
  auto h = validate_batch(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->base_offset, 5);
  EXPECT_EQ(h->total_size(), bytes.size());
  EXPECT_EQ(r->high_watermark, 10);
  EXPECT_EQ(r->ranges[0].fd(), -1);
}

TEST_F(PartitionLogTest, ReadReturnsOneWholeBatchEvenIfLargerThanMaxBytes) {
  auto log = open();
  auto one = append(*log, batch(1, 0, 300));
  append(*log, batch(1, 0, 300));
  auto r = log->read(0, 10);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->total_bytes(), one.bytes);
}

TEST_F(PartitionLogTest, ReadStopsAtTheLastBatchBoundaryWithinMaxBytes) {
  LogConfig config;
  config.index_interval_bytes = 100;  // index entries inside the range are used as boundaries
  auto log = open(config);
  uint64_t per_batch = 0;
  for (int i = 0; i < 20; ++i) per_batch = append(*log, batch(1, 0, 100)).bytes;
  auto r = log->read(0, per_batch * 7 + per_batch / 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->total_bytes(), per_batch * 7);
}

TEST_F(PartitionLogTest, ReadAtTheHighWatermarkIsEmptyAndBeyondIsOutOfRange) {
  auto log = open();
  append(*log, batch(2));
  auto at_end = log->read(2, 100);
  ASSERT_TRUE(at_end);
  EXPECT_TRUE(at_end->ranges.empty());
  EXPECT_EQ(log->read(3, 100).error().code, ErrorCode::kOutOfRange);
  EXPECT_EQ(log->read(-1, 100).error().code, ErrorCode::kOutOfRange);
}

TEST_F(PartitionLogTest, SegmentsRollBySizeAndReadsSpanThem) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 30; ++i) append(*log, batch(2, 0, 100));
  EXPECT_GT(log->segment_count(), 5u);
  auto headers = read_all_headers(*log);
  ASSERT_EQ(headers.size(), 30u);
  for (size_t i = 0; i < headers.size(); ++i)
    EXPECT_EQ(headers[i].base_offset, static_cast<int64_t>(2 * i));
  auto names = env_.list_dir("/p").value();
  EXPECT_TRUE(std::find(names.begin(), names.end(), "00000000000000000000.log") != names.end());
  EXPECT_TRUE(std::find(names.begin(), names.end(), "00000000000000000000.index") != names.end());
  EXPECT_TRUE(std::find(names.begin(), names.end(), "00000000000000000000.timeindex") !=
              names.end());
}

TEST_F(PartitionLogTest, ReadsOfEveryBudgetReturnContiguousBatches) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 30; ++i) append(*log, batch(1 + i % 3, 0, 50 + 17 * (i % 7)));
  for (uint64_t budget = 1; budget < 3000; budget += 37) {
    for (int64_t from = 0; from < log->high_watermark(); from += 5) {
      auto r = log->read(from, budget);
      ASSERT_TRUE(r);
      std::vector<std::byte> all;
      for (const auto& range : r->ranges) {
        std::vector<std::byte> bytes(range.length);
        ASSERT_TRUE(range.read_into(bytes));
        all.insert(all.end(), bytes.begin(), bytes.end());
      }
      BatchWalker walker(all);
      int64_t expected = -1;
      while (auto v = walker.next().value()) {
        if (expected < 0) {
          EXPECT_LE(v->header.base_offset, from);
          EXPECT_GE(v->header.last_offset(), from);
        } else {
          ASSERT_EQ(v->header.base_offset, expected) << "budget " << budget << " from " << from;
        }
        expected = v->header.last_offset() + 1;
      }
      EXPECT_TRUE(all.size() <= budget || r->ranges.size() == 1) << budget;
    }
  }
}

TEST_F(PartitionLogTest, SegmentsRollByAge) {
  LogConfig config;
  config.segment_ms = 1000;
  auto log = open(config);
  append(*log, batch(1), 10'000);
  append(*log, batch(1), 10'500);
  EXPECT_EQ(log->segment_count(), 1u);
  append(*log, batch(1), 11'000);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(read_all_headers(*log).size(), 3u);
}

TEST_F(PartitionLogTest, OffsetForTimestampFindsTheFirstBatchReachingIt) {
  LogConfig config;
  config.segment_bytes = 1024;
  config.index_interval_bytes = 1;
  auto log = open(config);
  // Timestamps are not monotonic: producers set them.
  const std::vector<int64_t> ts = {100, 300, 200, 400, 250, 500, 450, 600};
  for (auto t : ts) append(*log, batch(2, t, 100));
  auto at = [&](int64_t t) { return log->offset_for_timestamp(t).value(); };
  EXPECT_EQ(at(0), 0);
  EXPECT_EQ(at(100), 0);
  EXPECT_EQ(at(101), 2);
  EXPECT_EQ(at(300), 2);
  EXPECT_EQ(at(301), 6);
  EXPECT_EQ(at(460), 10);
  EXPECT_EQ(at(600), 14);
  EXPECT_EQ(at(601), std::nullopt);
}

TEST_F(PartitionLogTest, ScanHeadersVisitsEveryBatchFromTheOffsetUntilStopped) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 20; ++i) append(*log, batch(3, i, 100));
  std::vector<int64_t> bases;
  ASSERT_TRUE(log->scan_headers(31, [&](const BatchHeader& h) {
    bases.push_back(h.base_offset);
    return bases.size() < 5;
  }));
  EXPECT_EQ(bases, (std::vector<int64_t>{30, 33, 36, 39, 42}));
}

TEST_F(PartitionLogTest, SizeRetentionDeletesOldestSegmentsButNeverTheActiveOne) {
  LogConfig config;
  config.segment_bytes = 1024;
  config.retention_bytes = 0;
  auto log = open(config);
  for (int i = 0; i < 30; ++i) append(*log, batch(1, 0, 100));
  auto deleted = log->enforce_retention(0);
  ASSERT_TRUE(deleted);
  EXPECT_GT(*deleted, 0);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->high_watermark(), 30);
  EXPECT_GT(log->log_start_offset(), 0);
  EXPECT_EQ(log->read(0, 100).error().code, ErrorCode::kOutOfRange);
  EXPECT_FALSE(read_all_headers(*log).empty());
}

TEST_F(PartitionLogTest, TimeRetentionDeletesSegmentsWhoseNewestBatchIsTooOld) {
  LogConfig config;
  config.segment_bytes = 1024;
  config.retention_ms = 1000;
  auto log = open(config);
  // 269-byte batches: three fill a segment, so the nine old ones fill three segments.
  for (int i = 0; i < 9; ++i) append(*log, batch(1, 1000, 200));  // old
  for (int i = 0; i < 9; ++i) append(*log, batch(1, 5000, 200));  // recent
  EXPECT_EQ(log->enforce_retention(5500).value(), 3);
  auto headers = read_all_headers(*log);
  ASSERT_EQ(headers.size(), 9u);
  EXPECT_EQ(headers.front().max_timestamp, 5000);
  EXPECT_EQ(log->log_start_offset(), 9);
  EXPECT_EQ(log->high_watermark(), 18);
}

TEST_F(PartitionLogTest, ReadRangeStaysReadableAfterRetentionDeletesItsSegment) {
  LogConfig config;
  config.segment_bytes = 1024;
  config.retention_bytes = 0;
  auto log = open(config);
  for (int i = 0; i < 10; ++i) append(*log, batch(1, 0, 100));
  auto r = log->read(0, 100);
  ASSERT_TRUE(r);
  ASSERT_TRUE(log->enforce_retention(0));
  EXPECT_FALSE(env_.exists("/p/00000000000000000000.log").value());
  std::vector<std::byte> bytes(r->ranges[0].length);
  ASSERT_TRUE(r->ranges[0].read_into(bytes));
  EXPECT_TRUE(validate_batch(bytes));
}

TEST_F(PartitionLogTest, TruncateRemovesTheBatchHoldingTheOffsetAndEverythingAfter) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 20; ++i) append(*log, batch(3, 0, 100));
  auto end = log->truncate_to(16);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 15);
  EXPECT_EQ(log->high_watermark(), 15);
  EXPECT_EQ(read_all_headers(*log).size(), 5u);
  EXPECT_EQ(append(*log, batch(1)).base_offset, 15);
  // And the truncation holds across a restart.
  ASSERT_TRUE(log->close());
  log.reset();
  auto reopened = open(config);
  EXPECT_EQ(reopened->high_watermark(), 16);
  EXPECT_EQ(read_all_headers(*reopened).size(), 6u);
}

TEST_F(PartitionLogTest, DeleteRecordsAdvancesLogStartDurably) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 20; ++i) append(*log, batch(2, 0, 100));
  const size_t before = log->segment_count();
  EXPECT_EQ(log->delete_records_before(25).value(), 25);
  EXPECT_LT(log->segment_count(), before);
  EXPECT_EQ(log->read(24, 100).error().code, ErrorCode::kOutOfRange);
  EXPECT_TRUE(log->read(25, 100));
  EXPECT_EQ(log->delete_records_before(41).error().code, ErrorCode::kOutOfRange);
  ASSERT_TRUE(log->sync());
  log.reset();  // no clean close: the checkpoint alone must carry the log start
  env_.drop_unsynced();
  auto reopened = open(config);
  EXPECT_EQ(reopened->log_start_offset(), 25);
  EXPECT_EQ(reopened->high_watermark(), 40);
}

TEST_F(PartitionLogTest, CleanCloseReopensWithoutScanning) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 20; ++i) append(*log, batch(2, i * 10, 100));
  ASSERT_TRUE(log->close());
  EXPECT_EQ(log->append(*std::make_unique<std::vector<std::byte>>(batch(1)), 0).error().code,
            ErrorCode::kClosed);
  log.reset();
  auto reopened = open(config);
  EXPECT_TRUE(report_.clean_shutdown);
  EXPECT_EQ(report_.segments_scanned, 0);
  EXPECT_EQ(reopened->high_watermark(), 40);
  EXPECT_EQ(reopened->offset_for_timestamp(95).value(), 20);
  EXPECT_EQ(read_all_headers(*reopened).size(), 20u);
  EXPECT_FALSE(env_.exists("/p/clean-shutdown").value());
}

TEST_F(PartitionLogTest, UncleanReopenScansOnlyTheLastSegment) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 20; ++i) append(*log, batch(2, 0, 100));
  ASSERT_TRUE(log->sync());
  const size_t segments = log->segment_count();
  log.reset();
  auto reopened = open(config);
  EXPECT_FALSE(report_.clean_shutdown);
  EXPECT_EQ(report_.segments_opened, static_cast<int>(segments));
  EXPECT_EQ(report_.segments_scanned, 1);
  EXPECT_EQ(report_.bytes_truncated, 0u);
  EXPECT_EQ(reopened->high_watermark(), 40);
}

TEST_F(PartitionLogTest, DamagedIndexFileIsRebuiltFromTheLog) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 20; ++i) append(*log, batch(2, i, 100));
  ASSERT_TRUE(log->close());
  log.reset();
  auto index = env_.content("/p/00000000000000000000.index");
  index.back() ^= std::byte{1};
  env_.set_content("/p/00000000000000000000.index", index);
  auto reopened = open(config);
  EXPECT_EQ(report_.segments_scanned, 1);
  EXPECT_EQ(reopened->read(1, 1).value().ranges.at(0).position, 0u);
  EXPECT_EQ(read_all_headers(*reopened).size(), 20u);
}

TEST_F(PartitionLogTest, FailedWriteFencesTheLogButReadsContinue) {
  auto log = open();
  append(*log, batch(2));
  env_.fail_writes(true);
  auto bytes = batch(1);
  EXPECT_EQ(log->append(bytes, 0).error().code, ErrorCode::kIo);
  env_.fail_writes(false);
  auto again = batch(1);
  EXPECT_EQ(log->append(again, 0).error().code, ErrorCode::kFenced);
  EXPECT_EQ(log->sync().error().code, ErrorCode::kFenced);
  EXPECT_EQ(log->high_watermark(), 2);
  EXPECT_EQ(read_all_headers(*log).size(), 1u);  // the torn write is invisible
  log.reset();
  auto reopened = open();
  EXPECT_EQ(reopened->high_watermark(), 2);
  EXPECT_GT(report_.bytes_truncated, 0u);
}

TEST_F(PartitionLogTest, FailedSyncFencesTheLog) {
  auto log = open();
  auto first = append(*log, batch(2));
  env_.fail_syncs(true);
  EXPECT_EQ(log->wait_durable(first.last_offset).error().code, ErrorCode::kIo);
  env_.fail_syncs(false);
  EXPECT_EQ(log->wait_durable(first.last_offset).error().code, ErrorCode::kFenced);
  auto bytes = batch(1);
  EXPECT_EQ(log->append(bytes, 0).error().code, ErrorCode::kFenced);
  EXPECT_TRUE(log->read(0, 100));
  EXPECT_EQ(log->close().error().code, ErrorCode::kFenced);
}

TEST_F(PartitionLogTest, SyncedBatchesSurvivePowerLossAndUnsyncedOnesVanish) {
  auto log = open();
  auto durable = append(*log, batch(3));
  ASSERT_TRUE(log->wait_durable(durable.last_offset));
  EXPECT_EQ(log->durable_offset(), 3);
  append(*log, batch(3));
  log.reset();
  env_.drop_unsynced();
  auto reopened = open();
  EXPECT_EQ(reopened->high_watermark(), 3);
  EXPECT_EQ(read_all_headers(*reopened).size(), 1u);
}

TEST_F(PartitionLogTest, ConcurrentWaitersShareOneSync) {
  auto log = open();
  constexpr int kAppenders = 8;
  std::vector<int64_t> last(kAppenders);
  for (int i = 0; i < kAppenders; ++i) last[i] = append(*log, batch(1)).last_offset;
  const int syncs_before = env_.file_syncs();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kAppenders; ++i) {
    threads.emplace_back([&, i] {
      if (log->wait_durable(last[i])) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kAppenders);
  EXPECT_EQ(env_.file_syncs() - syncs_before, 1);
}

TEST_F(PartitionLogTest, WaitDurableRejectsAnOffsetNeverAppended) {
  auto log = open();
  append(*log, batch(1));
  EXPECT_EQ(log->wait_durable(5).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PartitionLogTest, NoSyncModeNeverCallsFdatasync) {
  LogConfig config;
  config.durability = Durability::kNoSync;
  config.segment_bytes = 1024;
  auto log = open(config);
  const int syncs_before = env_.file_syncs();
  for (int i = 0; i < 20; ++i) {
    auto r = append(*log, batch(1, 0, 100));
    ASSERT_TRUE(log->wait_durable(r.last_offset));
  }
  EXPECT_EQ(env_.file_syncs(), syncs_before);
  EXPECT_EQ(log->durable_offset(), 20);
}

TEST_F(PartitionLogTest, QuarantinedSegmentKeepsThePartitionOffline) {
  ASSERT_TRUE(env_.create_dirs("/p"));
  env_.set_content("/p/00000000000000000000.log.corrupt", batch(1));
  auto opened = PartitionLog::open(env_, "/p", {});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(opened.error().context.find("operator"), std::string::npos);
}

TEST(PartitionLogOnDisk, RangesExposeARealDescriptorAndSurviveACleanRestart) {
  auto dir =
      std::filesystem::temp_directory_path() / ("velocity-log-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  LogConfig config;
  config.segment_bytes = 4096;
  {
    auto log = PartitionLog::open(posix_env(), dir.string(), config).value().log;
    for (int i = 0; i < 50; ++i) {
      auto bytes = batch(2, i, 200);
      auto r = log->append(bytes, 0);
      ASSERT_TRUE(r);
      ASSERT_TRUE(log->wait_durable(r->last_offset));
    }
    auto r = log->read(0, 1000);
    ASSERT_TRUE(r);
    ASSERT_FALSE(r->ranges.empty());
    const auto& range = r->ranges[0];
    ASSERT_GE(range.fd(), 0);
    std::vector<std::byte> via_fd(range.length);
    ASSERT_EQ(::pread(range.fd(), via_fd.data(), via_fd.size(), static_cast<off_t>(range.position)),
              static_cast<ssize_t>(range.length));
    EXPECT_TRUE(validate_batch(via_fd));
    ASSERT_TRUE(log->close());
  }
  auto reopened = PartitionLog::open(posix_env(), dir.string(), config);
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(reopened->report.clean_shutdown);
  EXPECT_EQ(reopened->log->high_watermark(), 100);
  EXPECT_EQ(read_all_headers(*reopened->log).size(), 50u);
  reopened->log.reset();
  std::filesystem::remove_all(dir);
}

// Appenders, readers and durability waiters at once: every read sees whole, contiguous
// batches, and every append that returned is readable and, once waited for, durable.
TEST_F(PartitionLogTest, ConcurrentAppendsReadsAndWaitsStayConsistent) {
  LogConfig config;
  config.segment_bytes = 8192;
  auto log = open(config);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 200; ++i) {
        auto bytes = batch(1 + static_cast<int32_t>(rng() % 4), i, 20 + rng() % 300);
        auto r = log->append(bytes, 0);
        if (!r || log->high_watermark() <= r->last_offset) ++failures;
        if (r && i % 10 == 0 &&
            (!log->wait_durable(r->last_offset) || log->durable_offset() <= r->last_offset)) {
          ++failures;
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      const int64_t end = log->high_watermark();
      int64_t next = 0;
      while (next < end) {
        auto r = log->read(next, 2000);
        if (!r || r->ranges.empty()) {
          ++failures;
          return;
        }
        for (const auto& range : r->ranges) {
          std::vector<std::byte> bytes(range.length);
          if (!range.read_into(bytes)) ++failures;
          BatchWalker walker(bytes);
          for (;;) {
            auto v = walker.next();
            if (!v) {
              ++failures;
              return;
            }
            if (!*v) break;
            if ((*v)->header.base_offset != next) ++failures;
            next = (*v)->header.last_offset() + 1;
          }
        }
      }
    }
  });
  for (int t = 0; t < 4; ++t) threads[static_cast<size_t>(t)].join();
  done = true;
  threads.back().join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(read_all_headers(*log).size(), 800u);
}

}  // namespace
}  // namespace velocity::storage
