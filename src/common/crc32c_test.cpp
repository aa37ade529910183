#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace velocity {
namespace {

uint32_t crc_of(const std::string& s) { return crc32c_extend(0, s.data(), s.size()); }

// One bit at a time, straight from the definition: the reference both fast paths must match.
uint32_t bitwise_crc32c(uint32_t crc, const unsigned char* p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
  }
  return ~crc;
}

std::vector<unsigned char> random_bytes(size_t n, std::mt19937_64& rng) {
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(rng());
  return v;
}

// Check values from RFC 3720 (iSCSI), appendix B.4.
TEST(Crc32c, MatchesPublishedCheckValues) {
  EXPECT_EQ(crc_of("123456789"), 0xE3069283u);
  std::vector<unsigned char> zeros(32, 0x00);
  EXPECT_EQ(crc32c_extend(0, zeros.data(), zeros.size()), 0x8A9136AAu);
  std::vector<unsigned char> ones(32, 0xFF);
  EXPECT_EQ(crc32c_extend(0, ones.data(), ones.size()), 0x62A8AB43u);
  std::vector<unsigned char> ascending(32);
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(crc32c_extend(0, ascending.data(), ascending.size()), 0x46DD794Eu);
}

TEST(Crc32c, ExtendingInPiecesEqualsOneShot) {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    uint32_t part = crc32c_extend(0, text.data(), cut);
    part = crc32c_extend(part, text.data() + cut, text.size() - cut);
    EXPECT_EQ(part, crc_of(text)) << "cut at " << cut;
  }
}

TEST(Crc32c, PortablePathMatchesPublishedCheckValue) {
  const std::string s = "123456789";
  EXPECT_EQ(crc32c_extend_portable(0, s.data(), s.size()), 0xE3069283u);
}

// Every length up to 4096 crosses each switch between the short three-stream blocks (768 bytes),
// the single stream and the byte tail; the large sizes below cross the long ones (12 288 bytes).
TEST(Crc32c, EveryLengthUpTo4096MatchesBitwiseReference) {
  std::mt19937_64 rng(42);
  const auto buf = random_bytes(4096 + 16, rng);
  for (size_t len = 0; len <= 4096; ++len) {
    const size_t offset = len % 16;  // vary the alignment too
    const uint32_t want = bitwise_crc32c(0, buf.data() + offset, len);
    ASSERT_EQ(crc32c_extend(0, buf.data() + offset, len), want) << "length " << len;
    ASSERT_EQ(crc32c_extend_portable(0, buf.data() + offset, len), want) << "length " << len;
  }
}

TEST(Crc32c, LargeBuffersAtRandomAlignmentsMatchBitwiseReference) {
  std::mt19937_64 rng(7);
  const size_t sizes[] = {12287, 12288, 12289, 16397, 65536, 261629, 1 << 20};
  for (size_t size : sizes) {
    const auto buf = random_bytes(size + 64, rng);
    for (int round = 0; round < 3; ++round) {
      const size_t offset = rng() % 64;
      const auto seed = static_cast<uint32_t>(rng());
      const uint32_t want = bitwise_crc32c(seed, buf.data() + offset, size);
      EXPECT_EQ(crc32c_extend(seed, buf.data() + offset, size), want)
          << "size " << size << " offset " << offset;
      EXPECT_EQ(crc32c_extend_portable(seed, buf.data() + offset, size), want)
          << "size " << size << " offset " << offset;
    }
  }
}

TEST(Crc32c, LargeBufferExtendedInRandomPiecesEqualsOneShot) {
  std::mt19937_64 rng(9);
  const auto buf = random_bytes(200000, rng);
  const uint32_t whole = bitwise_crc32c(0, buf.data(), buf.size());
  uint32_t crc = 0;
  for (size_t at = 0; at < buf.size();) {
    const size_t piece = std::min<size_t>(rng() % 30000, buf.size() - at);
    crc = crc32c_extend(crc, buf.data() + at, piece);
    at += piece;
  }
  EXPECT_EQ(crc, whole);
}

TEST(Crc32c, EmptyInputIsZero) { EXPECT_EQ(crc32c_extend(0, nullptr, 0), 0u); }

}  // namespace
}  // namespace velocity
