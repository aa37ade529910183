#include "broker/core/record_timestamps.h"

#include <gtest/gtest.h>

#include "broker/storage/batch_builder.h"
#include "common/big_endian.h"

namespace velocity::broker {
namespace {

std::vector<std::byte> batch_at(int64_t base_offset, int64_t base_ts, int64_t step, int32_t count) {
  storage::BatchSpec spec;
  spec.record_count = count;
  spec.base_timestamp = base_ts;
  spec.timestamp_step = step;
  auto bytes = storage::build_batch(spec);
  store_be<int64_t>(bytes.data(), base_offset);
  return bytes;
}

TEST(RecordTimestamps, FindsTheFirstRecordAtOrAfterTheTime) {
  auto batch = batch_at(100, 1000, 10, 5);  // timestamps 1000, 1010, ..., 1040
  auto found = first_record_at_or_after(batch, 1015);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->offset, 102);
  EXPECT_EQ(found->timestamp, 1020);
  found = first_record_at_or_after(batch, 1000);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->offset, 100);
}

TEST(RecordTimestamps, NoRecordLaterThanTheTimeGivesNothing) {
  auto batch = batch_at(0, 1000, 10, 5);
  EXPECT_FALSE(first_record_at_or_after(batch, 1041).has_value());
}

TEST(RecordTimestamps, CompressedBatchIsNotLookedInto) {
  auto batch = batch_at(0, 1000, 10, 5);
  store_be<int16_t>(batch.data() + 21, 1);  // gzip
  EXPECT_FALSE(first_record_at_or_after(batch, 1000).has_value());
}

TEST(RecordTimestamps, TruncatedBatchIsRejectedNotOverread) {
  auto batch = batch_at(0, 1000, 10, 5);
  for (size_t cut = 0; cut < batch.size(); ++cut) {
    std::span<const std::byte> part(batch.data(), cut);
    auto found = first_record_at_or_after(part, 1040);
    if (found) {
      EXPECT_EQ(found->timestamp, 1040);  // only if the last record survived whole
    }
  }
}

}  // namespace
}  // namespace velocity::broker
