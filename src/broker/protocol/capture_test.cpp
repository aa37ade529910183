// Genuine librdkafka 2.0.2 / kcat frames (shared/kafka-protocol/captures): every request
// decodes and re-encodes byte for byte; the mock broker's responses do too, except the one
// reply the capture notes describe as malformed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "broker/protocol/codec.h"
#include "common/big_endian.h"
#include "common/crc32c.h"

#ifndef VELOCITY_PROTOCOL_REFERENCE_DIR
#error "VELOCITY_PROTOCOL_REFERENCE_DIR must name the kafka-protocol reference folder"
#endif

namespace velocity::protocol {
namespace {

struct CapturedFrame {
  std::string title;  // "conn 1 C2B Produce v7 request (corr 5), ..."
  bool to_broker = false;
  std::string api;
  int16_t version = 0;
  std::vector<std::byte> bytes;  // including the 4-byte size prefix
};

std::vector<std::byte> parse_hex(const std::string& hex) {
  std::vector<std::byte> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<CapturedFrame> load_captures() {
  std::string path = std::string(VELOCITY_PROTOCOL_REFERENCE_DIR) + "/captures/librdkafka-2.0.2-vs-mock.txt";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "capture file missing: " << path;
  static const std::regex kTitle(R"(^## conn \d+ (C2B|B2C) (\w+) v(\d+) (request|response).*)");
  std::vector<CapturedFrame> frames;
  std::string line;
  std::string hex;
  auto flush = [&] {
    if (!frames.empty() && !hex.empty()) frames.back().bytes = parse_hex(hex);
    hex.clear();
  };
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kTitle)) {
      flush();
      CapturedFrame frame;
      frame.title = line.substr(3);
      frame.to_broker = m[1] == "C2B";
      frame.api = m[2];
      frame.version = static_cast<int16_t>(std::stoi(m[3]));
      frames.push_back(std::move(frame));
    } else if (!line.empty() && line[0] == '#') {
      flush();
    } else if (!line.empty() && !frames.empty()) {
      hex += line;
    }
  }
  flush();
  return frames;
}

const ApiInfo* api_by_name(const std::string& name) {
  for (const ApiInfo& api : supported_apis()) {
    if (api.name == name) return &api;
  }
  return nullptr;
}

ByteView without_prefix(const CapturedFrame& frame) {
  EXPECT_GE(frame.bytes.size(), 4u);
  EXPECT_EQ(static_cast<size_t>(load_be<int32_t>(frame.bytes.data())), frame.bytes.size() - 4) << frame.title;
  return ByteView(frame.bytes).subspan(4);
}

TEST(LibrdkafkaCapture, EveryClientRequestDecodesAndReencodesByteIdentically) {
  auto frames = load_captures();
  int requests = 0;
  for (const auto& frame : frames) {
    if (!frame.to_broker) continue;
    SCOPED_TRACE(frame.title);
    ++requests;
    auto decoded = decode_request(without_prefix(frame));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    EXPECT_EQ(api_name(decoded->header.api_key), frame.api);
    EXPECT_EQ(decoded->header.api_version, frame.version);
    EXPECT_EQ(decoded->header.client_id, "rdkafka");
    Writer w;
    ASSERT_TRUE(encode_request(w, decoded->header, decoded->body).has_value());
    EXPECT_TRUE(std::ranges::equal(w.buffer(), frame.bytes));
  }
  EXPECT_GE(requests, 40);
}

TEST(LibrdkafkaCapture, MockBrokerResponsesDecodeAndReencodeByteIdentically) {
  auto frames = load_captures();
  int responses = 0;
  for (const auto& frame : frames) {
    if (frame.to_broker) continue;
    SCOPED_TRACE(frame.title);
    const ApiInfo* api = api_by_name(frame.api);
    ASSERT_NE(api, nullptr);
    auto decoded = decode_response(api->key, frame.version, without_prefix(frame));
    if (api->key == ApiKey::kApiVersions && frame.version == 3) {
      // The mock answers with error 35 but writes a broken compact array count.
      EXPECT_FALSE(decoded.has_value());
      continue;
    }
    ++responses;
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    Writer w;
    ASSERT_TRUE(encode_response(w, decoded->correlation_id, frame.version, decoded->body).has_value());
    EXPECT_TRUE(std::ranges::equal(w.buffer(), frame.bytes));
  }
  EXPECT_GE(responses, 40);
}

TEST(LibrdkafkaCapture, ProduceRecordsAreAViewOfTheFrameHoldingTheIdempotentBatch) {
  auto frames = load_captures();
  auto it = std::ranges::find_if(frames, [](const CapturedFrame& f) { return f.to_broker && f.api == "Produce"; });
  ASSERT_NE(it, frames.end());
  ByteView frame = without_prefix(*it);
  auto decoded = decode_request(frame);
  ASSERT_TRUE(decoded.has_value());
  const auto& produce = std::get<ProduceRequest>(decoded->body);
  EXPECT_EQ(produce.acks, -1);
  ASSERT_EQ(produce.topic_data.size(), 1u);
  EXPECT_EQ(produce.topic_data[0].name, "t1");
  const Records& records = produce.topic_data[0].partition_data[0].records;
  ASSERT_EQ(records.size(), 93u);
  EXPECT_GE(records.bytes.data(), frame.data());
  EXPECT_LE(records.bytes.data() + records.bytes.size(), frame.data() + frame.size());
  // Documented in the capture: CRC-32C over batch bytes [21, 93) is 0xabde29ac, producer id 467318000.
  EXPECT_EQ(crc32c(records.bytes.subspan(21)), 0xabde29acu);
  EXPECT_EQ(load_be<int64_t>(records.bytes.data() + 43), 467318000);
}

TEST(LibrdkafkaCapture, ApiVersionsV3RequestCarriesTheClientSoftware) {
  auto frames = load_captures();
  auto it = std::ranges::find_if(
      frames, [](const CapturedFrame& f) { return f.to_broker && f.api == "ApiVersions" && f.version == 3; });
  ASSERT_NE(it, frames.end());
  auto decoded = decode_request(without_prefix(*it));
  ASSERT_TRUE(decoded.has_value());
  const auto& request = std::get<ApiVersionsRequest>(decoded->body);
  EXPECT_EQ(request.client_software_name, "librdkafka");
  EXPECT_EQ(request.client_software_version, "2.0.2");
}

}  // namespace
}  // namespace velocity::protocol
