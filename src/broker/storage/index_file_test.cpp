#include "broker/storage/index_file.h"

#include <gtest/gtest.h>

namespace velocity::storage {
namespace {

OffsetIndexFile sample_offsets() {
  return OffsetIndexFile{9000, 1234, 99, {{0, 0}, {10, 4100}, {25, 8300}}};
}

TEST(IndexFile, OffsetIndexRoundTrips) {
  auto bytes = encode_offset_index(sample_offsets());
  EXPECT_EQ(bytes.size(), kOffsetIndexHeaderSize + 3 * kOffsetIndexEntrySize);
  auto decoded = decode_offset_index(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->log_bytes, 9000u);
  EXPECT_EQ(decoded->next_offset, 1234);
  EXPECT_EQ(decoded->max_timestamp, 99);
  ASSERT_EQ(decoded->entries.size(), 3u);
  EXPECT_EQ(decoded->entries[2].relative_offset, 25u);
  EXPECT_EQ(decoded->entries[2].position, 8300u);
}

TEST(IndexFile, TimeIndexRoundTrips) {
  TimeIndexFile index{700, {{10, 0}, {20, 3}, {35, 9}}};
  auto decoded = decode_time_index(encode_time_index(index));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->log_bytes, 700u);
  ASSERT_EQ(decoded->entries.size(), 3u);
  EXPECT_EQ(decoded->entries[1].timestamp, 20);
  EXPECT_EQ(decoded->entries[1].relative_offset, 3u);
}

TEST(IndexFile, AnyFlippedByteIsRejected) {
  const auto bytes = encode_offset_index(sample_offsets());
  for (size_t i = 0; i < bytes.size(); ++i) {
    // log_bytes, next_offset and max_timestamp are checked against the log itself instead.
    if (i >= 8 && i < 32) continue;
    auto damaged = bytes;
    damaged[i] ^= std::byte{0x04};
    EXPECT_FALSE(decode_offset_index(damaged)) << "byte " << i;
  }
}

TEST(IndexFile, TruncatedFileIsRejected) {
  const auto bytes = encode_offset_index(sample_offsets());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_offset_index(std::span<const std::byte>(bytes).first(n))) << n;
  }
}

TEST(IndexFile, EntriesOutOfOrderOrBeyondTheLogAreRejected) {
  auto index = sample_offsets();
  index.entries[2].position = 100;
  EXPECT_FALSE(decode_offset_index(encode_offset_index(index)));
  index = sample_offsets();
  index.entries[2].position = 9000;
  EXPECT_FALSE(decode_offset_index(encode_offset_index(index)));
  TimeIndexFile times{700, {{20, 0}, {10, 3}}};
  EXPECT_FALSE(decode_time_index(encode_time_index(times)));
}

}  // namespace
}  // namespace velocity::storage
