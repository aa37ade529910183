// PartitionLog: appends, reads, segment rolls and lookups.
#include "broker/storage/partition_log.h"

#include <gtest/gtest.h>

#include "broker/storage/log_test_util.h"

namespace velocity::storage {
namespace {

using testing::batch;
using testing::read_all_headers;

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

// The header of the one whole batch a read returned (failing the test otherwise).
BatchHeader only_batch(const ReadResult& r) {
  EXPECT_EQ(r.ranges.size(), 1u);
  if (r.ranges.size() != 1) return {};
  std::vector<std::byte> bytes(r.ranges[0].length);
  EXPECT_TRUE(r.ranges[0].read_into(bytes));
  auto h = validate_batch(bytes);
  EXPECT_TRUE(h);
  if (!h) return {};
  EXPECT_EQ(h->total_size(), bytes.size()) << "more than one batch";
  return *h;
}

TEST_F(PartitionLogTest, ReadStartsAtTheBatchHoldingTheOffset) {
  auto log = open();
  append(*log, batch(5));
  append(*log, batch(5));
  auto r = log->read(7, 1 << 20);
  ASSERT_TRUE(r);
  EXPECT_EQ(only_batch(*r).base_offset, 5);
  EXPECT_EQ(r->high_watermark, 10);
  EXPECT_EQ(r->ranges[0].fd(), -1);
}

TEST_F(PartitionLogTest, ReadsFromTheNewestBatchFollowATruncationAndTheAppendsAfterIt) {
  auto log = open();
  for (int i = 0; i < 3; ++i) append(*log, batch(5));  // offsets 0-4, 5-9, 10-14
  // Reads at the tail, from the newest batch and past it.
  EXPECT_EQ(read_all_headers(*log, 12).front().base_offset, 10);
  ASSERT_TRUE(log->read(15, 1 << 20));
  EXPECT_TRUE(log->read(15, 1 << 20)->ranges.empty());
  ASSERT_EQ(log->truncate_to(7).value_or(-1), 5);
  auto empty = log->read(5, 1 << 20);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->ranges.empty());
  append(*log, batch(3));  // offsets 5-7
  auto r = log->read(6, 1);
  ASSERT_TRUE(r);
  const auto h = only_batch(*r);
  EXPECT_EQ(h.base_offset, 5);
  EXPECT_EQ(h.record_count, 3);
  // An older batch is still found by its headers.
  auto older = read_all_headers(*log, 2);
  ASSERT_EQ(older.size(), 2u);
  EXPECT_EQ(older[0].base_offset, 0);
  EXPECT_EQ(older[1].base_offset, 5);
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

}  // namespace
}  // namespace velocity::storage
