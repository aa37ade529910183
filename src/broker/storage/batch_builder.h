// Encodes uncompressed Kafka v2 record batches, the way a producer would: used by tests,
// benchmarks and tools that need real batches without a client. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace velocity::storage {

struct BatchSpec {
  int32_t record_count = 1;
  size_t value_size = 16;
  int64_t base_timestamp = 0;
  int64_t timestamp_step = 0;  // record i has timestamp base_timestamp + i * timestamp_step
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  uint8_t fill_seed = 0;  // value bytes are (seed + record + byte index) mod 256
};

// Appends one batch (base offset 0, valid CRC) to `out`; reuses its capacity.
void append_batch(std::vector<std::byte>& out, const BatchSpec& spec);

inline std::vector<std::byte> build_batch(const BatchSpec& spec) {
  std::vector<std::byte> out;
  append_batch(out, spec);
  return out;
}

}  // namespace velocity::storage
