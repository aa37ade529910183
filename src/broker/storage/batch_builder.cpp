#include "broker/storage/batch_builder.h"

#include "broker/storage/record_batch.h"
#include "common/big_endian.h"

namespace velocity::storage {
namespace {

void put_varlong(std::vector<std::byte>& out, int64_t value) {
  auto zigzag = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  while (zigzag >= 0x80) {
    out.push_back(static_cast<std::byte>((zigzag & 0x7f) | 0x80));
    zigzag >>= 7;
  }
  out.push_back(static_cast<std::byte>(zigzag));
}

size_t varlong_size(int64_t value) {
  auto zigzag = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  size_t n = 1;
  while (zigzag >= 0x80) {
    zigzag >>= 7;
    ++n;
  }
  return n;
}

}  // namespace

void append_batch(std::vector<std::byte>& out, const BatchSpec& spec) {
  const size_t start = out.size();
  out.resize(start + kBatchHeaderSize);
  for (int32_t i = 0; i < spec.record_count; ++i) {
    const int64_t ts_delta = i * spec.timestamp_step;
    const auto value_len = static_cast<int64_t>(spec.value_size);
    // attributes(1) + timestampDelta + offsetDelta + keyLength(-1) + valueLength + value +
    // headers(0)
    const int64_t body = 1 +
                         static_cast<int64_t>(varlong_size(ts_delta) + varlong_size(i) +
                                              varlong_size(-1) + varlong_size(value_len)) +
                         value_len + static_cast<int64_t>(varlong_size(0));
    put_varlong(out, body);
    out.push_back(std::byte{0});
    put_varlong(out, ts_delta);
    put_varlong(out, i);
    put_varlong(out, -1);
    put_varlong(out, value_len);
    for (size_t b = 0; b < spec.value_size; ++b) {
      out.push_back(static_cast<std::byte>((spec.fill_seed + i + b) & 0xff));
    }
    put_varlong(out, 0);
  }
  std::byte* h = out.data() + start;
  const int32_t last_delta = spec.record_count > 0 ? spec.record_count - 1 : 0;
  const int64_t max_ts =
      spec.base_timestamp + (spec.record_count > 0 ? last_delta * spec.timestamp_step : 0);
  store_be<int64_t>(h + 0, 0);
  store_be<int32_t>(h + 8, static_cast<int32_t>(out.size() - start - kBatchLogOverhead));
  store_be<int32_t>(h + 12, 0);
  h[16] = static_cast<std::byte>(kMagicV2);
  store_be<int16_t>(h + 21, 0);
  store_be<int32_t>(h + 23, last_delta);
  store_be<int64_t>(h + 27, spec.base_timestamp);
  store_be<int64_t>(h + 35, max_ts);
  store_be<int64_t>(h + 43, spec.producer_id);
  store_be<int16_t>(h + 51, spec.producer_epoch);
  store_be<int32_t>(h + 53, spec.base_sequence);
  store_be<int32_t>(h + 57, spec.record_count);
  auto batch = std::span<const std::byte>(out).subspan(start);
  store_be<uint32_t>(h + 17, compute_batch_crc(batch));
}

}  // namespace velocity::storage
