#include "common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace velocity {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // reflected Castagnoli polynomial

// Slice-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (size_t k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr auto kTables = make_tables();

uint32_t extend_portable(uint32_t crc, const unsigned char* p, size_t n) {
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian host assumed by the slicing below
    word ^= crc;
    crc = kTables[7][word & 0xff] ^ kTables[6][(word >> 8) & 0xff] ^
          kTables[5][(word >> 16) & 0xff] ^ kTables[4][(word >> 24) & 0xff] ^
          kTables[3][(word >> 32) & 0xff] ^ kTables[2][(word >> 40) & 0xff] ^
          kTables[1][(word >> 48) & 0xff] ^ kTables[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xff];
  return crc;
}

#if defined(__x86_64__)
// Running a CRC register over zero bytes is linear over GF(2) in the register, so "advance
// by N zero bytes" is a 32x32 bit matrix. Column i of a matrix is the image of bit i.
using Matrix = std::array<uint32_t, 32>;

constexpr uint32_t apply(const Matrix& m, uint32_t v) {
  uint32_t out = 0;
  for (int i = 0; v != 0; ++i, v >>= 1) {
    if (v & 1) out ^= m[i];
  }
  return out;
}

constexpr Matrix compose(const Matrix& a, const Matrix& b) {  // a after b
  Matrix out{};
  for (int i = 0; i < 32; ++i) out[i] = apply(a, b[i]);
  return out;
}

constexpr Matrix zero_bytes_matrix(size_t n) {
  Matrix step{};  // one zero byte
  for (int i = 0; i < 32; ++i) {
    uint32_t crc = uint32_t{1} << i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    step[i] = crc;
  }
  Matrix result{};
  for (int i = 0; i < 32; ++i) result[i] = uint32_t{1} << i;
  for (; n != 0; n >>= 1) {
    if (n & 1) result = compose(step, result);
    step = compose(step, step);
  }
  return result;
}

// The matrix spread over four byte-indexed tables, so a shift costs four lookups.
using ShiftTables = std::array<std::array<uint32_t, 256>, 4>;

constexpr ShiftTables make_shift_tables(size_t n) {
  const Matrix m = zero_bytes_matrix(n);
  ShiftTables t{};
  for (uint32_t k = 0; k < 4; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = apply(m, b << (8 * k));
  }
  return t;
}

inline uint32_t shift(const ShiftTables& t, uint32_t crc) {
  return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

// The crc32 instruction has a latency of 3 cycles and a throughput of one per cycle, so one
// dependent chain uses a third of it. Three chains over three adjacent blocks run at full
// speed; their CRCs are then joined by shifting the earlier ones over the later blocks' length.
// Long blocks keep the joining cost negligible; short ones cover the tail and mid-sized buffers.
constexpr size_t kLongBlock = 4096;
constexpr size_t kShortBlock = 256;
constexpr ShiftTables kShiftLong = make_shift_tables(kLongBlock);
constexpr ShiftTables kShiftShort = make_shift_tables(kShortBlock);

__attribute__((target("sse4.2"))) inline uint64_t load64(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

template <size_t kBlock>
__attribute__((target("sse4.2"))) inline uint32_t three_blocks(uint32_t crc,
                                                              const unsigned char* p,
                                                              const ShiftTables& t) {
  uint64_t a = crc;
  uint64_t b = 0;
  uint64_t c = 0;
  for (size_t i = 0; i < kBlock; i += 8) {
    a = _mm_crc32_u64(a, load64(p + i));
    b = _mm_crc32_u64(b, load64(p + kBlock + i));
    c = _mm_crc32_u64(c, load64(p + 2 * kBlock + i));
  }
  const uint32_t ab = shift(t, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b);
  return shift(t, ab) ^ static_cast<uint32_t>(c);
}

__attribute__((target("sse4.2"))) uint32_t extend_sse42(uint32_t crc, const unsigned char* p,
                                                       size_t n) {
  while (n >= 3 * kLongBlock) {
    crc = three_blocks<kLongBlock>(crc, p, kShiftLong);
    p += 3 * kLongBlock;
    n -= 3 * kLongBlock;
  }
  while (n >= 3 * kShortBlock) {
    crc = three_blocks<kShortBlock>(crc, p, kShiftShort);
    p += 3 * kShortBlock;
    n -= 3 * kShortBlock;
  }
  uint64_t c = crc;
  while (n >= 8) {
    c = _mm_crc32_u64(c, load64(p));
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

bool cpu_has_sse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  if (cpu_has_sse42()) return ~extend_sse42(crc, p, size);
#endif
  return ~extend_portable(crc, p, size);
}

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) {
  return ~extend_portable(~crc, static_cast<const unsigned char*>(data), size);
}

}  // namespace velocity
