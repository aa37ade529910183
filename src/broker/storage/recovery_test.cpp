// The storage crash matrix: damage a log the ways a crash or a disk can, reopen it, and check
// that recovery keeps exactly the valid batches before the damage and reports what it dropped,
// or refuses to open when the damage is not at the tail.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "broker/storage/fake_env.h"
#include "broker/storage/log_test_util.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {
namespace {

using testing::batch;

constexpr const char* kLogPath = "/p/00000000000000000000.log";

// A one-segment log of four batches, written and synced by PartitionLog itself.
struct Written {
  std::vector<std::byte> file;        // the batches
  uint64_t prewritten = 0;            // zeros the log wrote after them on disk
  std::vector<uint64_t> starts;       // byte position of each batch, then the file size
  std::vector<int64_t> next_offsets;  // high watermark after each batch
};

Written write_log() {
  FakeEnv env;
  auto log = PartitionLog::open(env, "/p", {}).value().log;
  Written w;
  for (int i = 0; i < 4; ++i) {
    auto bytes = batch(i + 1, 1000 + i, 40, static_cast<uint8_t>(i));
    w.starts.push_back(log->size_bytes());
    w.next_offsets.push_back(log->append(bytes, 0).value().last_offset + 1);
  }
  w.starts.push_back(log->size_bytes());
  log->prewrite_ahead();
  EXPECT_TRUE(log->sync());
  w.file = env.content(kLogPath);
  // Past the batches the file holds pre-written zeros (LogConfig::prewrite_bytes): the cases
  // below damage the batches, and those after the zeros are put back where they test them.
  const auto size = log->size_bytes();
  EXPECT_GT(w.file.size(), size);
  EXPECT_TRUE(std::all_of(w.file.begin() + static_cast<std::ptrdiff_t>(size), w.file.end(),
                          [](std::byte b) { return b == std::byte{0}; }));
  w.prewritten = w.file.size() - size;
  w.file.resize(size);
  return w;
}

struct Outcome {
  Result<PartitionLog::Opened> opened;
  std::vector<std::byte> visible;  // every byte a reader sees from offset 0
  bool quarantined = false;
};

Outcome recover(const std::vector<std::byte>& file) {
  FakeEnv env;
  EXPECT_TRUE(env.create_dirs("/p"));
  env.set_content(kLogPath, file);
  Outcome out{PartitionLog::open(env, "/p", {}), {}, false};
  out.quarantined = env.exists(std::string(kLogPath) + ".corrupt").value();
  if (!out.opened) return out;
  auto& log = *out.opened->log;
  auto r = log.read(0, 1 << 30);
  EXPECT_TRUE(r);
  for (const auto& range : r->ranges) {
    std::vector<std::byte> bytes(range.length);
    EXPECT_TRUE(range.read_into(bytes));
    out.visible.insert(out.visible.end(), bytes.begin(), bytes.end());
  }
  return out;
}

// Bytes recovery cut off the end: the torn part and the zeros after it.
uint64_t dropped(const Outcome& out) {
  return out.opened->report.bytes_truncated + out.opened->report.zero_bytes_dropped;
}

std::vector<std::byte> prefix(const std::vector<std::byte>& v, uint64_t n) {
  return {v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n)};
}

// Bytes 12..15 (partitionLeaderEpoch) are covered by no checksum or check, in Kafka as here.
bool checked_byte(uint64_t position_in_batch) {
  return position_in_batch < 12 || position_in_batch >= 16;
}

TEST(LogRecovery, TailCutAtEveryByteOfTheLastBatchKeepsTheBatchesBefore) {
  const auto w = write_log();
  const uint64_t last = w.starts[3];
  for (uint64_t cut = last; cut < w.file.size(); ++cut) {
    auto out = recover(prefix(w.file, cut));
    ASSERT_TRUE(out.opened) << "cut at " << cut << ": " << out.opened.error().message();
    EXPECT_EQ(out.opened->log->high_watermark(), w.next_offsets[2]) << cut;
    EXPECT_EQ(out.visible, prefix(w.file, last)) << cut;
    EXPECT_EQ(dropped(out), cut - last) << cut;
    if (cut > last) {
      EXPECT_EQ(out.opened->report.notes.size(), 1u) << cut;
    }
  }
}

// What a crash leaves with pre-written space: the last batch written only up to some byte,
// followed by the zeros it was overwriting, as long as the file was.
TEST(LogRecovery, LastBatchTornInsidePrewrittenZerosKeepsTheBatchesBefore) {
  const auto w = write_log();
  const uint64_t last = w.starts[3];
  const uint64_t file_bytes = w.file.size() + w.prewritten;
  for (uint64_t cut = last; cut <= w.file.size(); cut += 7) {
    auto file = prefix(w.file, cut);
    file.resize(file_bytes);
    auto out = recover(file);
    ASSERT_TRUE(out.opened) << "cut at " << cut << ": " << out.opened.error().message();
    const bool whole = cut == w.file.size();
    EXPECT_EQ(out.opened->log->high_watermark(), w.next_offsets[whole ? 3 : 2]) << cut;
    EXPECT_EQ(out.visible, prefix(w.file, whole ? cut : last)) << cut;
    EXPECT_EQ(dropped(out), file_bytes - (whole ? cut : last)) << cut;
    EXPECT_GE(out.opened->report.zero_bytes_dropped, w.prewritten) << cut;
    EXPECT_FALSE(out.quarantined) << cut;
  }
}

TEST(LogRecovery, TailCutInsideAnEarlierBatchKeepsOnlyWholeBatches) {
  const auto w = write_log();
  for (size_t b = 0; b < 3; ++b) {
    const uint64_t cut = w.starts[b] + 30;
    auto out = recover(prefix(w.file, cut));
    ASSERT_TRUE(out.opened);
    EXPECT_EQ(out.visible, prefix(w.file, w.starts[b]));
    EXPECT_EQ(out.opened->log->high_watermark(), b == 0 ? 0 : w.next_offsets[b - 1]);
  }
}

TEST(LogRecovery, FlippedByteInTheLastBatchTruncatesIt) {
  const auto w = write_log();
  const uint64_t last = w.starts[3];
  for (uint64_t pos = last; pos < w.file.size(); ++pos) {
    if (!checked_byte(pos - last)) continue;
    auto file = w.file;
    file[pos] ^= std::byte{0x10};
    auto out = recover(file);
    ASSERT_TRUE(out.opened) << "flip at " << pos << ": " << out.opened.error().message();
    EXPECT_EQ(out.visible, prefix(w.file, last)) << pos;
    EXPECT_EQ(dropped(out), w.file.size() - last) << pos;
  }
}

TEST(LogRecovery, FlippedByteBeforeTheLastBatchQuarantinesTheSegment) {
  const auto w = write_log();
  for (size_t b = 0; b < 3; ++b) {
    for (uint64_t pos = w.starts[b]; pos < w.starts[b + 1]; ++pos) {
      if (!checked_byte(pos - w.starts[b])) continue;
      auto file = w.file;
      file[pos] ^= std::byte{0x10};
      auto out = recover(file);
      ASSERT_FALSE(out.opened) << "flip at " << pos << " was not detected";
      EXPECT_EQ(out.opened.error().code, ErrorCode::kCorrupt) << pos;
      EXPECT_TRUE(out.quarantined) << pos;
    }
  }
}

TEST(LogRecovery, ZeroFilledTailIsTruncatedAndReportedAsSuch) {
  const auto w = write_log();
  for (size_t zeros : {1, 12, 60, 61, 62, 4096}) {
    auto file = w.file;
    const std::vector<std::byte> tail(zeros, std::byte{0});
    file.insert(file.end(), tail.begin(), tail.end());
    auto out = recover(file);
    ASSERT_TRUE(out.opened) << zeros;
    EXPECT_EQ(out.visible, w.file) << zeros;
    EXPECT_EQ(out.opened->report.bytes_truncated, 0u) << zeros;
    EXPECT_EQ(out.opened->report.zero_bytes_dropped, zeros);
    ASSERT_EQ(out.opened->report.notes.size(), 1u);
    if (zeros >= kBatchHeaderSize) {
      EXPECT_NE(out.opened->report.notes[0].find("zero-filled"), std::string::npos)
          << out.opened->report.notes[0];
    }
  }
}

TEST(LogRecovery, GarbageTailIsTruncated) {
  const auto w = write_log();
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    auto file = w.file;
    const size_t n = 1 + rng() % 300;
    for (size_t i = 0; i < n; ++i) file.push_back(static_cast<std::byte>(rng()));
    auto out = recover(file);
    ASSERT_TRUE(out.opened) << round;
    EXPECT_EQ(out.visible, w.file) << round;
    EXPECT_EQ(dropped(out), n) << round;
  }
}

TEST(LogRecovery, RecoveryIsIdempotent) {
  const auto w = write_log();
  FakeEnv env;
  ASSERT_TRUE(env.create_dirs("/p"));
  env.set_content(kLogPath, prefix(w.file, w.file.size() - 5));
  auto first = PartitionLog::open(env, "/p", {});
  ASSERT_TRUE(first);
  EXPECT_GT(first->report.bytes_truncated + first->report.zero_bytes_dropped, 0u);
  first->log.reset();
  env.drop_unsynced();  // the truncation itself was synced
  auto second = PartitionLog::open(env, "/p", {});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->report.bytes_truncated + second->report.zero_bytes_dropped, 0u);
  EXPECT_EQ(second->log->high_watermark(), w.next_offsets[2]);
}

// What survives is a prefix of what was appended (a roll may have synced more than was
// asked), and it holds every batch whose durability was confirmed.
TEST(LogRecovery, PowerLossKeepsEverySyncedBatchAndOnlyWholeBatches) {
  FakeEnv env;
  LogConfig config;
  config.segment_bytes = 2048;
  std::vector<uint32_t> appended_crcs;
  size_t durable_batches = 0;
  {
    auto log = PartitionLog::open(env, "/p", config).value().log;
    std::mt19937 rng(3);
    for (int i = 0; i < 40; ++i) {
      auto bytes = batch(1 + i % 3, i, 50 + rng() % 100, static_cast<uint8_t>(i));
      appended_crcs.push_back(validate_batch(bytes).value().crc);
      auto r = log->append(bytes, 0).value();
      if (rng() % 3 == 0) {
        ASSERT_TRUE(log->wait_durable(r.last_offset));
        durable_batches = appended_crcs.size();
      }
    }
  }
  ASSERT_GT(durable_batches, 0u);
  env.drop_unsynced();
  auto reopened = PartitionLog::open(env, "/p", config);
  ASSERT_TRUE(reopened) << reopened.error().message();
  auto headers = testing::read_all_headers(*reopened->log);
  ASSERT_GE(headers.size(), durable_batches);
  ASSERT_LE(headers.size(), appended_crcs.size());
  for (size_t i = 0; i < headers.size(); ++i) EXPECT_EQ(headers[i].crc, appended_crcs[i]) << i;
  EXPECT_EQ(reopened->log->high_watermark(), headers.back().last_offset() + 1);
}

TEST(LogRecovery, DamageInASealedSegmentQuarantinesIt) {
  FakeEnv env;
  LogConfig config;
  config.segment_bytes = 1024;
  {
    auto log = PartitionLog::open(env, "/p", config).value().log;
    for (int i = 0; i < 12; ++i) {
      auto bytes = batch(1, 0, 200);
      ASSERT_TRUE(log->append(bytes, 0));
    }
    ASSERT_TRUE(log->sync());
  }
  // Cut the tail of the first (sealed) segment and drop its index so it is scanned.
  auto first = env.content(kLogPath);
  env.set_content(kLogPath, prefix(first, first.size() - 10));
  ASSERT_TRUE(env.remove("/p/00000000000000000000.index"));
  auto reopened = PartitionLog::open(env, "/p", config);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kCorrupt);
  EXPECT_TRUE(env.exists(std::string(kLogPath) + ".corrupt").value());
}

TEST(LogRecovery, MissingSegmentInTheMiddleIsAGapNotSilentlySkipped) {
  FakeEnv env;
  LogConfig config;
  config.segment_bytes = 1024;
  std::string second;
  {
    auto log = PartitionLog::open(env, "/p", config).value().log;
    for (int i = 0; i < 12; ++i) {
      auto bytes = batch(1, 0, 200);
      ASSERT_TRUE(log->append(bytes, 0));
    }
    ASSERT_TRUE(log->sync());
    ASSERT_GE(log->segment_count(), 3u);
  }
  ASSERT_TRUE(env.remove("/p/00000000000000000003.log"));
  auto reopened = PartitionLog::open(env, "/p", config);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace velocity::storage
