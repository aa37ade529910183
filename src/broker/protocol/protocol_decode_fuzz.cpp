// libFuzzer target over decode_request. Beyond "no crash": whatever decodes must re-encode,
// and the re-encoded frame must decode to an equal request (bytes may differ only where the
// decoder normalises: skipped unknown tags, booleans other than 0/1).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "broker/protocol/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace velocity::protocol;
  std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(data), size);
  auto decoded = decode_request(frame);
  if (!decoded) return 0;
  Writer out;
  if (!encode_request(out, decoded->header, decoded->body)) std::abort();
  auto again = decode_request(out.buffer().subspan(4));
  if (!again || !(again->header == decoded->header) || !(again->body == decoded->body)) std::abort();
  return 0;
}
