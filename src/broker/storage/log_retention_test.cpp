// PartitionLog: retention, truncation and DeleteRecords.
#include <gtest/gtest.h>

#include "broker/storage/log_test_util.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {
namespace {

using testing::batch;
using testing::read_all_headers;

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

}  // namespace
}  // namespace velocity::storage
