// PartitionLog: durability, group commit, fencing, clean and unclean restarts, concurrency.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "broker/storage/log_test_util.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {
namespace {

using testing::batch;
using testing::read_all_headers;

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
