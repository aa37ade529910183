#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "broker/protocol/reader.h"
#include "broker/protocol/writer.h"

namespace velocity::protocol {
namespace {

TEST(ReaderWriter, PrimitivesRoundTripBigEndian) {
  Writer w;
  w.write_int8(-5);
  w.write_int16(-300);
  w.write_int32(0x01020304);
  w.write_int64(std::numeric_limits<int64_t>::min());
  w.write_uint32(0xFFFFFFFFu);
  w.write_float64(2.5);
  w.write_bool(true);
  EXPECT_EQ(w.buffer()[3], std::byte{0x01});  // int32 starts at 3, most significant byte first
  Reader r(w.buffer());
  EXPECT_EQ(*r.read_int8(), -5);
  EXPECT_EQ(*r.read_int16(), -300);
  EXPECT_EQ(*r.read_int32(), 0x01020304);
  EXPECT_EQ(*r.read_int64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*r.read_uint32(), 0xFFFFFFFFu);
  EXPECT_EQ(*r.read_float64(), 2.5);
  EXPECT_TRUE(*r.read_bool());
  EXPECT_TRUE(r.at_end());
  EXPECT_FALSE(r.read_int8().has_value());
}

TEST(ReaderWriter, UnsignedVarintsUseLeb128) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 300u, 16384u, 0xFFFFFFFFu}) {
    Writer w;
    w.write_uvarint(v);
    Reader r(w.buffer());
    EXPECT_EQ(*r.read_uvarint(), v);
    EXPECT_TRUE(r.at_end());
  }
  Writer w;
  w.write_uvarint(300);
  ASSERT_EQ(w.buffer().size(), 2u);
  EXPECT_EQ(w.buffer()[0], std::byte{0xAC});
  EXPECT_EQ(w.buffer()[1], std::byte{0x02});
}

TEST(ReaderWriter, ZigzagVarintsRoundTrip) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-64}, int64_t{64}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    Writer w;
    w.write_varlong(v);
    Reader r(w.buffer());
    EXPECT_EQ(*r.read_varlong(), v);
  }
  Writer w;
  w.write_varint(-1);
  EXPECT_EQ(w.buffer()[0], std::byte{0x01});
}

TEST(ReaderWriter, VarintLongerThanItsWidthIsCorrupt) {
  std::vector<std::byte> six(6, std::byte{0xFF});
  Reader r(six);
  EXPECT_FALSE(r.read_uvarint().has_value());
  std::vector<std::byte> eleven(11, std::byte{0x80});
  Reader r2(eleven);
  EXPECT_FALSE(r2.read_varlong().has_value());
}

TEST(ReaderWriter, StringsClassicCompactAndNull) {
  Writer w;
  w.write_string("abc");
  w.write_nullable_string(std::nullopt);
  w.write_compact_string("de");
  w.write_compact_nullable_string(std::nullopt);
  Reader r(w.buffer());
  EXPECT_EQ(*r.read_string(), "abc");
  EXPECT_FALSE(r.read_nullable_string()->has_value());
  EXPECT_EQ(*r.read_compact_string(), "de");
  EXPECT_FALSE(r.read_compact_nullable_string()->has_value());
}

TEST(ReaderWriter, LengthBeyondTheDataIsCorruptAndConsumesNothingUseful) {
  std::vector<std::byte> data{std::byte{0x7F}, std::byte{0xFF}, std::byte{'x'}};
  Reader r(data);
  auto s = r.read_string();
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kCorrupt);
}

TEST(ReaderWriter, ArrayCountAboveRemainingBytesIsCorrupt) {
  Writer w;
  w.write_int32(5);
  w.write_int32(0);  // 4 bytes left, 5 elements claimed
  Reader r(w.buffer());
  EXPECT_FALSE(r.read_array_count().has_value());
  Writer nul;
  nul.write_int32(-1);
  Reader r2(nul.buffer());
  EXPECT_EQ(*r2.read_array_count(), -1);
}

TEST(ReaderWriter, SegmentsInterleaveBufferedBytesAndFileRanges) {
  Writer w;
  w.write_int32(1);
  w.write_file_range(FileRange{3, 10, 100, nullptr});
  w.write_int16(2);
  auto segments = w.segments();
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(std::get<std::span<const std::byte>>(segments[0]).size(), 4u);
  EXPECT_EQ(std::get<FileRange>(segments[1]).position, 10);
  EXPECT_EQ(std::get<std::span<const std::byte>>(segments[2]).size(), 2u);
  EXPECT_EQ(w.size(), 106u);
  w.clear();
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(w.has_file_ranges());
}

TEST(ReaderWriter, SizePrefixIsPatchedInPlace) {
  Writer w;
  size_t at = w.reserve_int32();
  w.write_int64(9);
  w.patch_int32(at, 8);
  Reader r(w.buffer());
  EXPECT_EQ(*r.read_int32(), 8);
}

}  // namespace
}  // namespace velocity::protocol
