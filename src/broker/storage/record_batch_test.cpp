#include "broker/storage/record_batch.h"

#include <gtest/gtest.h>

#include <string>

#include "broker/storage/batch_builder.h"
#include "common/big_endian.h"

namespace velocity::storage {
namespace {

std::vector<std::byte> sample(int32_t records = 3) {
  BatchSpec spec;
  spec.record_count = records;
  spec.value_size = 10;
  spec.base_timestamp = 1700000000000;
  spec.timestamp_step = 5;
  spec.producer_id = 42;
  spec.producer_epoch = 1;
  spec.base_sequence = 7;
  return build_batch(spec);
}

TEST(RecordBatch, ParsesEveryHeaderField) {
  auto bytes = sample();
  auto h = validate_batch(bytes);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->base_offset, 0);
  EXPECT_EQ(h->total_size(), bytes.size());
  EXPECT_EQ(h->magic, 2);
  EXPECT_EQ(h->last_offset_delta, 2);
  EXPECT_EQ(h->base_timestamp, 1700000000000);
  EXPECT_EQ(h->max_timestamp, 1700000000010);
  EXPECT_EQ(h->producer_id, 42);
  EXPECT_EQ(h->producer_epoch, 1);
  EXPECT_EQ(h->base_sequence, 7);
  EXPECT_EQ(h->record_count, 3);
  EXPECT_EQ(h->compression(), 0);
}

// A batch produced by librdkafka 2.0.2 (kcat, two records "c" and "d"), as captured on the
// wire: its CRC was computed by a client we did not write.
std::vector<std::byte> librdkafka_batch() {
  const char* hex =
      "000000000000000000000041000000000287f36226000000000001000001a21693c029000001a21693c029"
      "ffffffffffffffffffffffffffff000000020e000000010263000e00000201026400";
  std::vector<std::byte> out;
  for (const char* p = hex; p[0] != 0 && p[1] != 0; p += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(p, 2), nullptr, 16)));
  }
  return out;
}

TEST(RecordBatch, ValidatesABatchWrittenByLibrdkafka) {
  auto bytes = librdkafka_batch();
  ASSERT_EQ(bytes.size(), 77u);
  auto h = validate_batch(bytes);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->crc, 0x87f36226u);
  EXPECT_EQ(h->record_count, 2);
  EXPECT_EQ(h->last_offset_delta, 1);
  EXPECT_EQ(h->producer_id, -1);
}

TEST(RecordBatch, BuilderCrcMatchesTheChecksumOverAttributesToEnd) {
  auto bytes = sample();
  EXPECT_EQ(compute_batch_crc(bytes), load_be<uint32_t>(bytes.data() + kBatchCrcPos));
}

TEST(RecordBatch, RewritingBaseOffsetKeepsTheBatchValid) {
  auto bytes = sample();
  set_base_offset(bytes, 123456789);
  auto h = validate_batch(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->base_offset, 123456789);
  EXPECT_EQ(h->last_offset(), 123456791);
}

TEST(RecordBatch, FlippedBodyByteFailsTheCrc) {
  auto bytes = sample();
  bytes[bytes.size() - 3] ^= std::byte{0x01};
  auto h = validate_batch(bytes);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(h.error().context.find("CRC"), std::string::npos);
}

TEST(RecordBatch, OldMagicIsUnsupportedNotCorrupt) {
  for (int magic : {0, 1}) {
    auto bytes = sample();
    bytes[kBatchMagicPos] = static_cast<std::byte>(magic);
    auto h = parse_batch_header(bytes);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, ErrorCode::kUnsupported);
  }
}

TEST(RecordBatch, UnknownMagicIsCorrupt) {
  auto bytes = sample();
  bytes[kBatchMagicPos] = std::byte{7};
  EXPECT_EQ(parse_batch_header(bytes).error().code, ErrorCode::kCorrupt);
}

TEST(RecordBatch, LengthShorterThanAHeaderIsCorrupt) {
  auto bytes = sample();
  store_be<int32_t>(bytes.data() + kBatchLengthPos, 48);
  EXPECT_EQ(parse_batch_header(bytes).error().code, ErrorCode::kCorrupt);
  store_be<int32_t>(bytes.data() + kBatchLengthPos, -5);
  EXPECT_EQ(parse_batch_header(bytes).error().code, ErrorCode::kCorrupt);
}

TEST(RecordBatch, LengthBeyondTheBufferIsCorrupt) {
  auto bytes = sample();
  store_be<int32_t>(bytes.data() + kBatchLengthPos, 1 << 30);
  EXPECT_TRUE(parse_batch_header(bytes));  // the header alone is plausible
  EXPECT_EQ(validate_batch(bytes).error().code, ErrorCode::kCorrupt);
}

TEST(RecordBatch, TruncatedHeaderIsCorruptAtEveryLength) {
  auto bytes = sample();
  for (size_t n = 0; n < kBatchHeaderSize; ++n) {
    auto h = parse_batch_header(std::span<const std::byte>(bytes).first(n));
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.error().code, ErrorCode::kCorrupt) << n;
  }
}

TEST(RecordBatch, NegativeLastOffsetDeltaIsCorrupt) {
  auto bytes = sample();
  store_be<int32_t>(bytes.data() + 23, -1);
  store_be<uint32_t>(bytes.data() + kBatchCrcPos, compute_batch_crc(bytes));
  EXPECT_EQ(validate_batch(bytes).error().code, ErrorCode::kCorrupt);
}

TEST(BatchWalker, VisitsConcatenatedBatchesInOrder) {
  std::vector<std::byte> buf;
  for (int32_t n : {1, 4, 2}) {
    BatchSpec spec;
    spec.record_count = n;
    append_batch(buf, spec);
  }
  BatchWalker walker(buf);
  std::vector<int32_t> counts;
  for (;;) {
    auto v = walker.next();
    ASSERT_TRUE(v) << v.error().message();
    if (!*v) break;
    counts.push_back((*v)->header.record_count);
  }
  EXPECT_EQ(counts, (std::vector<int32_t>{1, 4, 2}));
  EXPECT_EQ(walker.position(), buf.size());
}

TEST(BatchWalker, TrailingPartialBatchIsAnErrorWithItsPosition) {
  auto one = sample();
  std::vector<std::byte> buf = one;
  buf.insert(buf.end(), one.begin(), one.begin() + 30);
  BatchWalker walker(buf);
  ASSERT_TRUE(walker.next());
  auto second = walker.next();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(second.error().context.find(std::to_string(one.size())), std::string::npos);
}

TEST(BatchWalker, EmptyBufferHasNoBatches) {
  BatchWalker walker({});
  auto v = walker.next();
  ASSERT_TRUE(v);
  EXPECT_FALSE(*v);
}

}  // namespace
}  // namespace velocity::storage
