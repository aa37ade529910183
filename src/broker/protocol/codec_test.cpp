#include "broker/protocol/codec.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/big_endian.h"

namespace velocity::protocol {
namespace {

std::vector<std::byte> hex(std::initializer_list<int> bytes) {
  std::vector<std::byte> out;
  for (int b : bytes) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(Codec, UnsupportedApiVersionsIsAnsweredWithAV0BodyListingOnlyApiVersions) {
  Writer w;
  encode_api_versions_fallback(w, 77);
  // size 16 | corr 77 | error 35 | 1 key: 18, 0..3 | no throttle, no tags (v0, header v0)
  auto expected = hex({0, 0, 0, 16, 0, 0, 0, 77, 0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3});
  EXPECT_TRUE(std::ranges::equal(w.buffer(), expected));
}

TEST(Codec, ApiVersionsV3ResponseHeaderHasNoTagBuffer) {
  Writer w;
  ASSERT_TRUE(encode_response(w, 5, 3, make_api_versions_response()).has_value());
  auto bytes = w.buffer();
  // corr id, then straight into error_code 0 and the compact array count.
  EXPECT_EQ(load_be<int32_t>(bytes.data() + 4), 5);
  EXPECT_EQ(load_be<int16_t>(bytes.data() + 8), 0);
  EXPECT_EQ(static_cast<size_t>(bytes[10]), supported_apis().size() + 1);
}

TEST(Codec, FlexibleResponseHeaderCarriesATagBuffer) {
  Writer w;
  ASSERT_TRUE(encode_response(w, 5, 2, InitProducerIdResponse{0, 0, 1, 0}).has_value());
  auto bytes = w.buffer();
  EXPECT_EQ(bytes.size(), 4u + 4u + 1u + 4u + 2u + 8u + 2u + 1u);
  EXPECT_EQ(bytes[8], std::byte{0});  // empty header tags
}

TEST(Codec, FetchResponseLeavesFileRecordsToTheSenderWithPrecomputedLengths) {
  FetchResponse response;
  response.responses.resize(1);
  response.responses[0].topic = "t";
  response.responses[0].partitions.resize(2);
  response.responses[0].partitions[0].records = Records::from_file(FileRange{7, 4096, 1000, nullptr});
  response.responses[0].partitions[1].partition_index = 1;
  response.responses[0].partitions[1].records = Records::from_file(FileRange{8, 0, 300, nullptr});
  Writer w;
  ASSERT_TRUE(encode_response(w, 1, 11, response).has_value());
  auto segments = w.segments();
  ASSERT_EQ(segments.size(), 4u);  // framing, file, framing, file
  EXPECT_EQ(std::get<FileRange>(segments[1]).fd, 7);
  EXPECT_EQ(std::get<FileRange>(segments[3]).length, 300);
  EXPECT_EQ(w.size(), w.buffer().size() + 1300);
  // Size prefix covers the file bytes; each records length prefix precedes its range.
  EXPECT_EQ(static_cast<size_t>(load_be<int32_t>(w.buffer().data())), w.size() - 4);
  auto first = std::get<std::span<const std::byte>>(segments[0]);
  EXPECT_EQ(load_be<int32_t>(first.data() + first.size() - 4), 1000);
  auto second = std::get<std::span<const std::byte>>(segments[2]);
  EXPECT_EQ(load_be<int32_t>(second.data() + second.size() - 4), 300);
}

TEST(Codec, RequestHeaderAndBodyMustNameTheSameApi) {
  Writer w;
  auto r = encode_request(w, RequestHeader{ApiKey::kFetch, 4, 1, {}}, HeartbeatRequest{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Codec, ResponseBodyNamesItsApi) {
  EXPECT_EQ(api_key_of(ResponseBody{ProduceResponse{}}), ApiKey::kProduce);
  EXPECT_EQ(api_key_of(RequestBody{OffsetDeleteRequest{}}), ApiKey::kOffsetDelete);
}

}  // namespace
}  // namespace velocity::protocol
