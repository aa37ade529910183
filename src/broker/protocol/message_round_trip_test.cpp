// Every (API, version) we decode: a request and a response with every field set (and again
// with every nullable field null) encode, decode to equal values, and re-encode to the same
// bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/protocol/codec.h"
#include "broker/protocol/message_samples.h"

namespace velocity::protocol {
namespace {

using testing::for_each_alternative;
using testing::SampleFiller;

std::vector<std::byte> body_of(const Writer& w) {
  auto all = w.buffer();
  return {all.begin() + 4, all.end()};  // drop the size prefix
}

template <typename Message>
void check_request(int16_t version, bool nulls) {
  SCOPED_TRACE(std::string(api_name(Message::kApiKey)) + "Request v" + std::to_string(version) +
               (nulls ? " (nulls)" : ""));
  SampleFiller filler(version, is_flexible(Message::kApiKey, version), nulls);
  RequestHeader header{Message::kApiKey, version, 12345, std::string("client-1")};
  RequestBody body = testing::sample<Message>(filler);

  Writer first;
  ASSERT_TRUE(encode_request(first, header, body).has_value());
  auto frame = body_of(first);
  auto decoded = decode_request(frame);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->header, header);
  EXPECT_TRUE(decoded->body == body);

  Writer second;
  ASSERT_TRUE(encode_request(second, decoded->header, decoded->body).has_value());
  EXPECT_TRUE(std::ranges::equal(first.buffer(), second.buffer()));
}

template <typename Message>
void check_response(int16_t version, bool nulls) {
  SCOPED_TRACE(std::string(api_name(Message::kApiKey)) + "Response v" + std::to_string(version) +
               (nulls ? " (nulls)" : ""));
  SampleFiller filler(version, is_flexible(Message::kApiKey, version), nulls);
  ResponseBody body = testing::sample<Message>(filler);

  Writer first;
  ASSERT_TRUE(encode_response(first, 777, version, body).has_value());
  auto frame = body_of(first);
  auto decoded = decode_response(Message::kApiKey, version, frame);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->correlation_id, 777);
  EXPECT_TRUE(decoded->body == body);

  Writer second;
  ASSERT_TRUE(encode_response(second, 777, version, decoded->body).has_value());
  EXPECT_TRUE(std::ranges::equal(first.buffer(), second.buffer()));
}

TEST(MessageRoundTrip, EveryRequestVersionReencodesByteIdentically) {
  int checked = 0;
  for_each_alternative<RequestBody>([&]<typename T>(std::type_identity<T>) {
    const ApiInfo& api = api_info(T::kApiKey);
    for (int16_t v = api.min_version; v <= api.max_decodable; ++v) {
      check_request<T>(v, false);
      check_request<T>(v, true);
      ++checked;
    }
  });
  EXPECT_GT(checked, 80);
}

TEST(MessageRoundTrip, EveryResponseVersionReencodesByteIdentically) {
  for_each_alternative<ResponseBody>([&]<typename T>(std::type_identity<T>) {
    const ApiInfo& api = api_info(T::kApiKey);
    for (int16_t v = api.min_version; v <= api.max_decodable; ++v) {
      check_response<T>(v, false);
      check_response<T>(v, true);
    }
  });
}

TEST(MessageRoundTrip, EveryRegisteredApiHasARequestAndAResponseType) {
  for (const ApiInfo& api : supported_apis()) {
    int requests = 0;
    int responses = 0;
    for_each_alternative<RequestBody>([&]<typename T>(std::type_identity<T>) { requests += T::kApiKey == api.key; });
    for_each_alternative<ResponseBody>([&]<typename T>(std::type_identity<T>) { responses += T::kApiKey == api.key; });
    EXPECT_EQ(requests, 1) << api.name;
    EXPECT_EQ(responses, 1) << api.name;
  }
}

TEST(MessageRoundTrip, NullInAVersionWhereItIsNotNullableIsAnEncodeError) {
  MetadataRequest request;
  request.topics.reset();  // "all topics" exists only from v1 on
  Writer w;
  EXPECT_TRUE(encode_request(w, RequestHeader{ApiKey::kMetadata, 1, 1, {}}, request).has_value());
  w.clear();
  auto v0 = encode_request(w, RequestHeader{ApiKey::kMetadata, 0, 1, {}}, request);
  ASSERT_FALSE(v0.has_value());
  EXPECT_EQ(v0.error().code, ErrorCode::kInvalidArgument);
}

TEST(MessageRoundTrip, FieldsAbsentFromAVersionAreNotWritten) {
  ProduceRequest request;
  request.transactional_id = "tx";  // v3+ only
  request.acks = -1;
  request.timeout_ms = 1000;
  Writer w;
  ASSERT_TRUE(encode_message(w, request, 2, false).has_value());
  EXPECT_EQ(w.size(), 2u + 4u + 4u);  // acks, timeout, empty topic array
  w.clear();
  ASSERT_TRUE(encode_message(w, request, 3, false).has_value());
  EXPECT_EQ(w.size(), 2u + 2u + 2u + 4u + 4u);
}

}  // namespace
}  // namespace velocity::protocol
