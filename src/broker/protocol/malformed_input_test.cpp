// Hostile and broken frames: every one is a clean error, never a crash, an over-read or a
// large allocation (run under ASan in the sanitize build and in the fuzz target).
#include <gtest/gtest.h>

#include <vector>

#include "broker/protocol/codec.h"
#include "broker/protocol/message_samples.h"

namespace velocity::protocol {
namespace {

std::vector<std::byte> request_frame(ApiKey key, int16_t version, const RequestBody& body) {
  Writer w;
  EXPECT_TRUE(encode_request(w, RequestHeader{key, version, 9, std::string("c")}, body).has_value());
  auto all = w.buffer();
  return {all.begin() + 4, all.end()};
}

std::vector<std::byte> hex(std::initializer_list<int> bytes) {
  std::vector<std::byte> out;
  for (int b : bytes) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(MalformedInput, EveryTruncationOfEveryRequestIsACleanError) {
  testing::for_each_alternative<RequestBody>([&]<typename T>(std::type_identity<T>) {
    const ApiInfo& api = api_info(T::kApiKey);
    for (int16_t v = api.min_version; v <= api.max_decodable; ++v) {
      testing::SampleFiller filler(v, is_flexible(T::kApiKey, v), false);
      auto frame = request_frame(T::kApiKey, v, testing::sample<T>(filler));
      ASSERT_TRUE(decode_request(frame).has_value());
      for (size_t cut = 0; cut < frame.size(); ++cut) {
        auto decoded = decode_request(ByteView(frame).first(cut));
        ASSERT_FALSE(decoded.has_value()) << api.name << " v" << v << " cut at " << cut;
        EXPECT_EQ(decoded.error().code, ErrorCode::kCorrupt);
      }
    }
  });
}

TEST(MalformedInput, TrailingBytesAfterTheBodyAreRejected) {
  auto frame = request_frame(ApiKey::kHeartbeat, 3, HeartbeatRequest{"g", 1, "m", std::nullopt});
  frame.push_back(std::byte{0});
  auto decoded = decode_request(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(decoded.error().context.find("trailing"), std::string::npos);
}

TEST(MalformedInput, NegativeStringLengthIsAnError) {
  // FindCoordinator v0: header (key 10, v0, corr 1, client "") then Key with length -2.
  auto frame = hex({0, 10, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFE});
  auto decoded = decode_request(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kCorrupt);
}

TEST(MalformedInput, NullWhereTheVersionAllowsNoneIsAnError) {
  // FindCoordinator v0 Key = null (-1): not nullable.
  auto frame = hex({0, 10, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF});
  EXPECT_FALSE(decode_request(frame).has_value());
}

TEST(MalformedInput, HugeBytesLengthIsAnErrorWithoutAllocating) {
  // SyncGroup v0: GroupId "", GenerationId, MemberId "", one assignment whose bytes claim 2 GiB.
  auto frame = hex({0, 14, 0, 0, 0, 0, 0, 1, 0, 0,   // header
                    0, 0, 0, 0, 0, 1, 0, 0,          // group "", generation 1, member ""
                    0, 0, 0, 1, 0, 0,                // 1 assignment, member ""
                    0x7F, 0xFF, 0xFF, 0xFF});        // assignment length 2^31-1
  auto decoded = decode_request(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kCorrupt);
}

TEST(MalformedInput, HugeArrayCountIsAnErrorBeforeAnyElementIsRead) {
  // DeleteTopics v0 with 2^31-1 topic names and nothing after.
  auto frame = hex({0, 20, 0, 0, 0, 0, 0, 1, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF});
  auto decoded = decode_request(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().context.find("array count"), std::string::npos);
}

TEST(MalformedInput, NegativeArrayCountOtherThanNullIsAnError) {
  auto frame = hex({0, 20, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 0});
  EXPECT_FALSE(decode_request(frame).has_value());
}

TEST(MalformedInput, OverlongCompactLengthIsAnError) {
  // ApiVersions v3 (flexible): header, tags, then a 6-byte unsigned varint.
  auto frame = hex({0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  auto decoded = decode_request(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kCorrupt);
}

TEST(MalformedInput, TaggedFieldLargerThanTheFrameIsAnError) {
  // ApiVersions v3 header whose tag buffer has one field of size 100 with 1 byte left.
  auto frame = hex({0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 1, 0, 100, 0});
  EXPECT_FALSE(decode_request(frame).has_value());
}

TEST(MalformedInput, UnknownTaggedFieldsAreSkipped) {
  // ApiVersions v3: header tags hold tag 5 (2 bytes); body "a", "b", then tag 7 (1 byte).
  auto frame = hex({0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 1, 5, 2, 0xAA, 0xBB, 2, 'a', 2, 'b', 1, 7, 1, 0xCC});
  auto decoded = decode_request(frame);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  const auto& body = std::get<ApiVersionsRequest>(decoded->body);
  EXPECT_EQ(body.client_software_name, "a");
  EXPECT_EQ(body.client_software_version, "b");
}

TEST(MalformedInput, UnknownApiKeyIsUnsupportedNotCorrupt) {
  auto frame = hex({0, 99, 0, 0, 0, 0, 0, 1, 0, 0});
  auto decoded = decode_request(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kUnsupported);
}

TEST(MalformedInput, VersionOutsideOurRangeIsUnsupportedButItsHeaderParses) {
  // Produce v9 is flexible: header v2 with an empty tag buffer.
  auto frame = hex({0, 0, 0, 9, 0, 0, 0, 42, 0, 1, 'c', 0});
  auto decoded = decode_request(frame);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kUnsupported);
  auto header = decode_request_header(frame);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->correlation_id, 42);
  EXPECT_EQ(header->client_id, "c");
}

TEST(MalformedInput, EmptyFrameIsAnError) { EXPECT_FALSE(decode_request(ByteView{}).has_value()); }

}  // namespace
}  // namespace velocity::protocol
