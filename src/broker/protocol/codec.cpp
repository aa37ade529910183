#include "broker/protocol/codec.h"

#include <string>

namespace velocity::protocol {
namespace {

// Finds the variant alternative whose kApiKey matches and decodes the body as it.
template <typename Variant, size_t I = 0>
Result<Variant> decode_body(ApiKey key, int16_t version, ByteView body) {
  if constexpr (I == std::variant_size_v<Variant>) {
    return fail(ErrorCode::kUnsupported, "unknown api key " + std::to_string(static_cast<int16_t>(key)));
  } else {
    using Message = std::variant_alternative_t<I, Variant>;
    if (Message::kApiKey != key) return decode_body<Variant, I + 1>(key, version, body);
    auto message = decode_message<Message>(body, version, is_flexible(key, version));
    if (!message) {
      return fail(message.error().code,
                  std::string(api_name(key)) + " v" + std::to_string(version) + ": " + message.error().context);
    }
    return Variant{std::in_place_index<I>, std::move(*message)};
  }
}

template <typename Variant>
Result<void> encode_body(Writer& out, int16_t version, const Variant& body) {
  return std::visit(
      [&](const auto& message) -> Result<void> {
        using Message = std::decay_t<decltype(message)>;
        auto encoded = encode_message(out, message, version, is_flexible(Message::kApiKey, version));
        if (!encoded) {
          return fail(encoded.error().code, std::string(api_name(Message::kApiKey)) + ": " + encoded.error().context);
        }
        return {};
      },
      body);
}

Result<void> check_version(ApiKey key, int16_t version) {
  const ApiInfo* api = find_api(static_cast<int16_t>(key));
  if (api == nullptr) {
    return fail(ErrorCode::kUnsupported, "unknown api key " + std::to_string(static_cast<int16_t>(key)));
  }
  if (!is_decodable(key, version)) {
    return fail(ErrorCode::kUnsupported, std::string(api->name) + " v" + std::to_string(version) +
                                             " is not supported (we speak " + std::to_string(api->min_version) +
                                             "-" + std::to_string(api->max_decodable) + ")");
  }
  return {};
}

void patch_size_prefix(Writer& out, size_t prefix_at) {
  out.patch_int32(prefix_at, static_cast<int32_t>(out.size() - prefix_at - 4));
}

}  // namespace

ApiKey api_key_of(const RequestBody& body) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kApiKey; }, body);
}

ApiKey api_key_of(const ResponseBody& body) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kApiKey; }, body);
}

Result<RequestHeader> decode_request_header(ByteView frame) {
  Reader in(frame);
  return read_request_header(in);
}

Result<Request> decode_request(ByteView frame) {
  Reader in(frame);
  auto header = read_request_header(in);
  if (!header) return std::unexpected(header.error());
  if (auto ok = check_version(header->api_key, header->api_version); !ok) return std::unexpected(ok.error());
  auto body = decode_body<RequestBody>(header->api_key, header->api_version, frame.subspan(in.position()));
  if (!body) return std::unexpected(body.error());
  return Request{std::move(*header), std::move(*body)};
}

Result<void> encode_response(Writer& out, int32_t correlation_id, int16_t api_version, const ResponseBody& body) {
  ApiKey key = api_key_of(body);
  size_t prefix_at = out.reserve_int32();
  write_response_header(out, correlation_id, response_header_version(key, api_version));
  auto encoded = encode_body(out, api_version, body);
  if (!encoded) return encoded;
  patch_size_prefix(out, prefix_at);
  return {};
}

void encode_api_versions_fallback(Writer& out, int32_t correlation_id) {
  const ApiInfo& api = api_info(ApiKey::kApiVersions);
  ApiVersionsResponse response;
  response.error_code = 35;  // UNSUPPORTED_VERSION
  response.api_keys.push_back({static_cast<int16_t>(ApiKey::kApiVersions), api.min_version, api.max_version});
  // Cannot fail: v0 has no nullable fields and no strings.
  (void)encode_response(out, correlation_id, 0, response);
}

Result<void> encode_request(Writer& out, const RequestHeader& header, const RequestBody& body) {
  if (header.api_key != api_key_of(body)) {
    return fail(ErrorCode::kInvalidArgument, "request header names api key " +
                                                 std::to_string(static_cast<int16_t>(header.api_key)) +
                                                 " but the body is " + std::string(api_name(api_key_of(body))));
  }
  size_t prefix_at = out.reserve_int32();
  write_request_header(out, header);
  auto encoded = encode_body(out, header.api_version, body);
  if (!encoded) return encoded;
  patch_size_prefix(out, prefix_at);
  return {};
}

Result<Response> decode_response(ApiKey key, int16_t api_version, ByteView frame) {
  if (auto ok = check_version(key, api_version); !ok) return std::unexpected(ok.error());
  Reader in(frame);
  auto correlation = read_response_header(in, response_header_version(key, api_version));
  if (!correlation) return std::unexpected(correlation.error());
  auto body = decode_body<ResponseBody>(key, api_version, frame.subspan(in.position()));
  if (!body) return std::unexpected(body.error());
  return Response{*correlation, std::move(*body)};
}

}  // namespace velocity::protocol
