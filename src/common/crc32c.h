// CRC-32C (Castagnoli), the checksum of Kafka v2 record batches. Uses the SSE4.2 crc32
// instruction when the CPU has it (three interleaved streams on buffers of 768 bytes and more),
// a table otherwise; both give identical results. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace velocity {

// Extends a running CRC-32C with `data`. Start with crc = 0 for a fresh checksum.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

// The table-driven path alone, whatever the CPU: the reference the fast path is tested against.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32c(std::span<const std::byte> data) {
  return crc32c_extend(0, data.data(), data.size());
}

}  // namespace velocity
