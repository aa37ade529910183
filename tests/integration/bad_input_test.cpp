// Hostile bytes on raw sockets: garbage, truncated frames, negative and huge lengths, an
// unknown API key, out-of-range versions. The broker must answer with an error or close that
// one connection, never hang on it or die, and keep serving other clients (kcat -L).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/big_endian.h"
#include "support/assertions.h"
#include "support/broker_process.h"
#include "support/net.h"
#include "support/subprocess.h"

namespace velocity::testing {
namespace {

constexpr auto kVerdictDeadline = std::chrono::seconds(10);
constexpr std::int16_t kApiVersions = 18;
constexpr std::int16_t kMetadata = 3;
constexpr std::int16_t kUnsupportedVersion = 35;

// A request frame built field by field (request header v1: key, version, correlation id,
// client id), so tests can also build wrong ones.
class Frame {
 public:
  Frame& i16(std::int16_t v) { return put(v); }
  Frame& i32(std::int32_t v) { return put(v); }
  Frame& str(const std::string& s) {
    i16(static_cast<std::int16_t>(s.size()));
    body_ += s;
    return *this;
  }
  Frame& raw(const std::string& bytes) {
    body_ += bytes;
    return *this;
  }
  Frame& header(std::int16_t api_key, std::int16_t version, std::int32_t correlation_id) {
    return i16(api_key).i16(version).i32(correlation_id).str("velocity-bad-input");
  }
  // The body with its correct int32 size prefix.
  std::string framed() const { return size_prefix(static_cast<std::int32_t>(body_.size())) + body_; }
  const std::string& body() const { return body_; }

  static std::string size_prefix(std::int32_t size) {
    std::string prefix(4, '\0');
    store_be<std::int32_t>(prefix.data(), size);
    return prefix;
  }

 private:
  template <typename T>
  Frame& put(T v) {
    char bytes[sizeof(T)];
    store_be<T>(bytes, v);
    body_.append(bytes, sizeof(T));
    return *this;
  }
  std::string body_;
};

struct Verdict {
  bool closed = false;
  bool answered = false;
  std::int32_t correlation_id = 0;
  std::string response_body;  // after the correlation id
};

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::start();
    ASSERT_TRUE(started) << started.error().message();
    broker_ = std::move(*started);
  }

  void TearDown() override {
    if (broker_ != nullptr) expect_still_serving();
  }

  Result<RawConnection> connect() { return RawConnection::connect(broker_->host(), broker_->port()); }

  // Waits for the broker's reaction to what was sent: a response frame or a close. Neither
  // within the deadline is a failure (the connection would hang a real client).
  static Verdict await_verdict(RawConnection& connection) {
    Verdict verdict;
    auto head = connection.read_until(4, kVerdictDeadline);
    if (head.end == RawConnection::ReadEnd::kClosed) {
      verdict.closed = true;
      return verdict;
    }
    EXPECT_EQ(head.end, RawConnection::ReadEnd::kComplete)
        << "broker neither answered nor closed the connection within " << kVerdictDeadline.count() << " s";
    if (head.end != RawConnection::ReadEnd::kComplete) return verdict;
    const auto size = load_be<std::int32_t>(head.bytes.data());
    EXPECT_GE(size, 4) << "response size";
    EXPECT_LE(size, 1 << 20) << "response size";
    if (size < 4 || size > (1 << 20)) return verdict;
    auto body = connection.read_until(static_cast<std::size_t>(size), kVerdictDeadline);
    EXPECT_EQ(body.end, RawConnection::ReadEnd::kComplete) << "truncated response";
    if (body.end != RawConnection::ReadEnd::kComplete) return verdict;
    verdict.answered = true;
    verdict.correlation_id = load_be<std::int32_t>(body.bytes.data());
    verdict.response_body = body.bytes.substr(4);
    return verdict;
  }

  // After each case: the process lives, a well-formed ApiVersions request on a new
  // connection is answered, and kcat can read metadata.
  void expect_still_serving() {
    ASSERT_TRUE(broker_->running()) << "broker died; stderr tail:\n" << broker_->stderr_tail();
    auto connection = connect();
    ASSERT_TRUE(succeeded(connection));
    ASSERT_TRUE(succeeded(connection->send_all(Frame().header(kApiVersions, 0, 4242).framed())));
    const Verdict verdict = await_verdict(*connection);
    ASSERT_TRUE(verdict.answered) << "a valid ApiVersions v0 request was not answered";
    EXPECT_EQ(verdict.correlation_id, 4242);
    ASSERT_GE(verdict.response_body.size(), 2u);
    EXPECT_EQ(load_be<std::int16_t>(verdict.response_body.data()), 0) << "ApiVersions error code";

    auto listed = run_command({{"kcat", "-b", broker_->bootstrap(), "-L", "-m", "10"},
                               "", std::chrono::seconds(30)});
    ASSERT_TRUE(listed) << listed.error().message();
    EXPECT_TRUE(listed->ok()) << listed->summary();
    EXPECT_NE(listed->out.find("1 brokers:"), std::string::npos) << listed->out;
  }

  std::unique_ptr<BrokerProcess> broker_;
};

// Sending may already fail because the broker closed early; that is one accepted outcome.
void send_ignoring_close(RawConnection& connection, const std::string& bytes) {
  auto sent = connection.send_all(bytes);
  if (!sent) {
    EXPECT_EQ(sent.error().code, ErrorCode::kClosed) << sent.error().message();
  }
}

TEST_F(BadInputTest, HttpRequestIsRejectedByClosingTheConnection) {
  // "GET " read as a size is about 1.2 GB, far over the 100 MiB request cap.
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_TRUE(await_verdict(*connection).closed);
}

TEST_F(BadInputTest, NegativeLengthClosesTheConnection) {
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection, Frame::size_prefix(-1) + Frame().header(kMetadata, 4, 1).body());
  EXPECT_TRUE(await_verdict(*connection).closed);
}

TEST_F(BadInputTest, LengthOverOneHundredMebibytesClosesWithoutWaitingForTheBody) {
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection,
                      Frame::size_prefix(200 * 1024 * 1024) + Frame().header(kMetadata, 4, 1).body());
  EXPECT_TRUE(await_verdict(*connection).closed);
}

TEST_F(BadInputTest, ZeroLengthFrameIsAnsweredOrClosed) {
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection, Frame::size_prefix(0));
  const Verdict verdict = await_verdict(*connection);
  EXPECT_TRUE(verdict.closed || verdict.answered);
}

TEST_F(BadInputTest, FrameTruncatedByEndOfStreamClosesTheConnection) {
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  const std::string frame = Frame().header(kMetadata, 4, 1).i32(-1).i16(1).framed();
  send_ignoring_close(*connection, frame.substr(0, frame.size() - 5));
  connection->shutdown_write();
  EXPECT_TRUE(await_verdict(*connection).closed);
}

TEST_F(BadInputTest, HeaderTruncatedInsideItsFrameIsAnsweredOrClosed) {
  // A complete frame whose client id claims 32 767 bytes that are not there.
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection, Frame().i16(kMetadata).i16(4).i32(11).i16(0x7fff).raw("abc").framed());
  const Verdict verdict = await_verdict(*connection);
  EXPECT_TRUE(verdict.closed || (verdict.answered && verdict.correlation_id == 11));
}

TEST_F(BadInputTest, RandomBodyForAKnownApiIsAnsweredOrClosed) {
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  std::string noise;
  std::uint32_t state = 99;
  for (int i = 0; i < 512; ++i) {
    state = state * 1664525u + 1013904223u;
    noise.push_back(static_cast<char>(state >> 24));
  }
  send_ignoring_close(*connection, Frame().header(kMetadata, 4, 12).raw(noise).framed());
  const Verdict verdict = await_verdict(*connection);
  EXPECT_TRUE(verdict.closed || (verdict.answered && verdict.correlation_id == 12));
}

TEST_F(BadInputTest, UnknownApiKeyIsAnsweredOrClosed) {
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection, Frame().header(9999, 0, 13).framed());
  const Verdict verdict = await_verdict(*connection);
  EXPECT_TRUE(verdict.closed || (verdict.answered && verdict.correlation_id == 13));
}

TEST_F(BadInputTest, OutOfRangeMetadataVersionIsAnsweredOrClosed) {
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection, Frame().header(kMetadata, 999, 14).i32(-1).framed());
  const Verdict verdict = await_verdict(*connection);
  EXPECT_TRUE(verdict.closed || (verdict.answered && verdict.correlation_id == 14));
}

TEST_F(BadInputTest, OutOfRangeApiVersionsVersionIsAnsweredWithUnsupportedVersion) {
  // Clients probe ApiVersions with their newest version and fall back on error 35; a close
  // here would look like a broker that speaks no Kafka at all (protocol notes §3).
  auto connection = connect();
  ASSERT_TRUE(succeeded(connection));
  send_ignoring_close(*connection, Frame().header(kApiVersions, 999, 15).framed());
  const Verdict verdict = await_verdict(*connection);
  ASSERT_TRUE(verdict.answered) << "closed instead of answering error 35";
  EXPECT_EQ(verdict.correlation_id, 15);
  ASSERT_GE(verdict.response_body.size(), 2u);
  EXPECT_EQ(load_be<std::int16_t>(verdict.response_body.data()), kUnsupportedVersion);
}

}  // namespace
}  // namespace velocity::testing
