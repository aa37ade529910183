#include "broker/protocol/consumer_protocol.h"

#include <algorithm>

namespace velocity::protocol {
namespace {

constexpr int16_t kMaxKnownVersion = 3;

template <typename Blob>
Result<Blob> decode_blob(ByteView bytes, const char* what) {
  Reader reader(bytes);
  auto version = reader.read_int16();
  if (!version) return fail(ErrorCode::kCorrupt, std::string(what) + ": " + version.error().context);
  if (*version < 0) return fail(ErrorCode::kCorrupt, std::string(what) + ": negative version " + std::to_string(*version));
  Blob blob;
  blob.version = *version;
  Decoder d(bytes.subspan(2), std::min(*version, kMaxKnownVersion), false);
  blob.visit(d);
  if (!d.ok()) return fail(d.error().code, std::string(what) + ": " + d.error().context);
  return blob;
}

template <typename Blob>
Result<Bytes> encode_blob(const Blob& blob, const char* what) {
  if (blob.version < 0 || blob.version > kMaxKnownVersion) {
    return fail(ErrorCode::kInvalidArgument, std::string(what) + ": cannot encode version " + std::to_string(blob.version));
  }
  Writer w;
  w.write_int16(blob.version);
  Encoder e(w, blob.version, false);
  const_cast<Blob&>(blob).visit(e);
  if (!e.ok()) return std::unexpected(e.error());
  auto out = w.buffer();
  return Bytes(out.begin(), out.end());
}

}  // namespace

Result<ConsumerProtocolSubscription> decode_subscription(ByteView blob) {
  return decode_blob<ConsumerProtocolSubscription>(blob, "consumer subscription");
}

Result<ConsumerProtocolAssignment> decode_assignment(ByteView blob) {
  return decode_blob<ConsumerProtocolAssignment>(blob, "consumer assignment");
}

Result<Bytes> encode_subscription(const ConsumerProtocolSubscription& subscription) {
  return encode_blob(subscription, "consumer subscription");
}

Result<Bytes> encode_assignment(const ConsumerProtocolAssignment& assignment) {
  return encode_blob(assignment, "consumer assignment");
}

}  // namespace velocity::protocol
