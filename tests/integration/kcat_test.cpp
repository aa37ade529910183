// kcat (librdkafka 2.0.2 underneath, a client we did not write) against the broker: metadata
// listing, and 10 000 keyed messages with headers produced and consumed back byte for byte,
// once per compression codec.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "support/broker_process.h"
#include "support/kafka_clients.h"
#include "support/subprocess.h"

namespace velocity::testing {
namespace {

constexpr int kMessageCount = 10000;
constexpr int kKeyCount = 50;
constexpr std::string_view kHeaders = "ce_type=shop.order.placed.v1,traceparent=00-4bf92f3577b34da6-01";

struct KcatRecord {
  std::string key;
  std::string payload;
  std::string headers;  // kcat's %h: "k1=v1,k2=v2"
};

// Payloads carry every byte value except '\n' (kcat -P's message delimiter), in lengths from
// 0 to 300, so that codec and framing bugs cannot hide behind plain ASCII.
std::vector<KcatRecord> make_records() {
  std::vector<KcatRecord> records;
  records.reserve(kMessageCount);
  std::uint32_t state = 12345;
  for (int i = 0; i < kMessageCount; ++i) {
    KcatRecord record{"order-" + std::to_string(i % kKeyCount), "seq=" + std::to_string(i) + ";",
                      std::string(kHeaders)};
    state = state * 1103515245u + 12345u;
    const std::uint32_t length = (state >> 16) % 300;
    for (std::uint32_t b = 0; b < length; ++b) {
      state = state * 1103515245u + 12345u;
      char c = static_cast<char>((state >> 16) & 0xff);
      record.payload.push_back(c == '\n' ? ' ' : c);
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::string kcat_producer_input(const std::vector<KcatRecord>& records) {
  std::string input;
  for (const auto& r : records) input += r.key + ":" + r.payload + "\n";
  return input;
}

// Parses kcat -f "%K %S %h\n%k%s\n": lengths first, so that payload bytes need no escaping.
Result<std::vector<KcatRecord>> parse_kcat_output(std::string_view out) {
  std::vector<KcatRecord> records;
  std::size_t pos = 0;
  while (pos < out.size()) {
    const auto line_end = out.find('\n', pos);
    if (line_end == std::string_view::npos) return fail(ErrorCode::kCorrupt, "unterminated header line");
    const std::string_view line = out.substr(pos, line_end - pos);
    int key_len = 0;
    int payload_len = 0;
    const char* p = line.data();
    const char* end = line.data() + line.size();
    auto k = std::from_chars(p, end, key_len);
    if (k.ec != std::errc() || k.ptr == end) return fail(ErrorCode::kCorrupt, std::string(line));
    auto s = std::from_chars(k.ptr + 1, end, payload_len);
    if (s.ec != std::errc() || key_len < 0 || payload_len < 0) {
      return fail(ErrorCode::kCorrupt, std::string(line));
    }
    const std::string_view headers = s.ptr < end ? std::string_view(s.ptr + 1, end) : std::string_view();
    pos = line_end + 1;
    const std::size_t body = static_cast<std::size_t>(key_len) + static_cast<std::size_t>(payload_len);
    if (pos + body + 1 > out.size() || out[pos + body] != '\n') {
      return fail(ErrorCode::kCorrupt, "record body shorter than its lengths at byte " + std::to_string(pos));
    }
    records.push_back({std::string(out.substr(pos, static_cast<std::size_t>(key_len))),
                       std::string(out.substr(pos + static_cast<std::size_t>(key_len),
                                              static_cast<std::size_t>(payload_len))),
                       std::string(headers)});
    pos += body + 1;
  }
  return records;
}

std::map<std::string, std::vector<KcatRecord>> by_key(const std::vector<KcatRecord>& records) {
  std::map<std::string, std::vector<KcatRecord>> grouped;
  for (const auto& r : records) grouped[r.key].push_back(r);
  return grouped;
}

class KcatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::start();
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(KcatTest, ListShowsTheBrokerAndAutoCreatedTopic) {
  const std::string topic = topic_for_this_test();
  auto produced = run_command({{"kcat", "-b", broker_->bootstrap(), "-P", "-t", topic, "-K:"},
                               "greeting:hello\n"});
  ASSERT_TRUE(produced) << produced.error().message();
  ASSERT_TRUE(produced->ok()) << produced->summary();

  auto listed = run_command({{"kcat", "-b", broker_->bootstrap(), "-L"}});
  ASSERT_TRUE(listed) << listed.error().message();
  ASSERT_TRUE(listed->ok()) << listed->summary();
  EXPECT_NE(listed->out.find("1 brokers:"), std::string::npos) << listed->out;
  EXPECT_NE(listed->out.find(" at " + broker_->bootstrap()), std::string::npos) << listed->out;
  EXPECT_NE(listed->out.find("topic \"" + topic + "\" with "), std::string::npos) << listed->out;
}

class KcatCodecTest : public KcatTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(KcatCodecTest, KeyedMessagesWithHeadersRoundTripByteForByte) {
  const std::string topic = topic_for_this_test();
  auto partitions = create_topic(*broker_, topic, 3);
  ASSERT_TRUE(partitions) << partitions.error().message();
  const auto records = make_records();

  auto produced = run_command({{"kcat", "-b", broker_->bootstrap(), "-P", "-t", topic, "-K:",
                                "-z", GetParam(), "-X", "acks=all", "-H",
                                "ce_type=shop.order.placed.v1", "-H",
                                "traceparent=00-4bf92f3577b34da6-01"},
                               kcat_producer_input(records)});
  ASSERT_TRUE(produced) << produced.error().message();
  ASSERT_TRUE(produced->ok()) << produced->summary();
  ASSERT_EQ(produced->err.find("Delivery failed"), std::string::npos) << produced->summary();

  auto consumed = run_command({{"kcat", "-b", broker_->bootstrap(), "-C", "-t", topic, "-o",
                                "beginning", "-e", "-q", "-f", "%K %S %h\n%k%s\n"}});
  ASSERT_TRUE(consumed) << consumed.error().message();
  ASSERT_TRUE(consumed->ok()) << consumed->summary();
  auto parsed = parse_kcat_output(consumed->out);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->size(), records.size());

  // Partitions interleave arbitrarily; within one key (one partition) order must be kept.
  const auto want = by_key(records);
  const auto got = by_key(*parsed);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [key, sent] : want) {
    const auto it = got.find(key);
    ASSERT_NE(it, got.end()) << "key " << key << " missing";
    ASSERT_EQ(it->second.size(), sent.size()) << "key " << key;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      ASSERT_EQ(it->second[i].payload, sent[i].payload) << "key " << key << " message " << i;
      ASSERT_EQ(it->second[i].headers, sent[i].headers) << "key " << key << " message " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, KcatCodecTest,
                         ::testing::Values("none", "gzip", "snappy", "lz4", "zstd"),
                         [](const ::testing::TestParamInfo<std::string>& codec) { return codec.param; });

}  // namespace
}  // namespace velocity::testing
