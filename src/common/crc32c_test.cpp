#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace velocity {
namespace {

uint32_t crc_of(const std::string& s) { return crc32c_extend(0, s.data(), s.size()); }

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

TEST(Crc32c, EmptyInputIsZero) { EXPECT_EQ(crc32c_extend(0, nullptr, 0), 0u); }

}  // namespace
}  // namespace velocity
