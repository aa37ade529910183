// Space ahead of the active segment. Preallocation (LogConfig::preallocate_bytes): blocks are
// reserved ahead of the end without becoming part of the file, given back at a roll and at
// close, and a crash that leaves zeros or garbage where blocks were reserved recovers exactly
// the batches that were acknowledged. Pre-writing (LogConfig::prewrite_bytes): zeros written
// ahead within the file, never read, cut at a roll and at close, dropped by recovery.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "broker/storage/log_test_util.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {
namespace {

using testing::batch;
using testing::read_all_headers;

constexpr const char* kFirst = "/p/00000000000000000000.log";

// Appends `n` batches to `log`, each acknowledged: waited for until durable, then given the
// zeros ahead it wants, as the broker's Flusher does.
void append_acknowledged(PartitionLog& log, int n) {
  for (int i = 0; i < n; ++i) {
    auto bytes = batch(2, 1000 + i, 300);
    auto r = log.append(bytes, 0);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(log.wait_durable(r->last_offset));
    if (log.wants_prewrite()) log.prewrite_ahead();
  }
}

LogConfig preallocating(uint64_t step, uint64_t segment_bytes = 1 << 20) {
  LogConfig config;
  config.preallocate_bytes = step;
  config.prewrite_bytes = 0;  // the cases below are about reserved blocks alone
  config.segment_bytes = segment_bytes;
  return config;
}

TEST_F(PartitionLogTest, AppendsReserveAheadWithoutGrowingTheFile) {
  auto log = open(preallocating(4096));
  append(*log, batch(3, 1000, 100));
  EXPECT_EQ(env_.content(kFirst).size(), log->size_bytes());
  EXPECT_EQ(env_.reserved_past_end(kFirst), 4096u);
  // Reads end at the last batch, never in the reserved blocks.
  auto r = log->read(0, 1 << 20).value();
  EXPECT_EQ(r.total_bytes(), log->size_bytes());
}

TEST_F(PartitionLogTest, ReservationGrowsInStepsAndStopsAtTheSegmentSize) {
  auto log = open(preallocating(4096, 10000));
  const auto one = batch(1, 1000, 1000);
  append(*log, one);
  EXPECT_EQ(env_.reserved_past_end(kFirst), 4096u);
  // Within the reservation: nothing more is reserved.
  append(*log, one);
  EXPECT_EQ(env_.reserved_past_end(kFirst), 4096u - one.size());
  while (log->segment_count() == 1) {
    const uint64_t reserved_end = log->size_bytes() + env_.reserved_past_end(kFirst);
    EXPECT_LE(reserved_end, 10000u);
    append(*log, one);
  }
}

TEST_F(PartitionLogTest, ReservationStepsGrowWithTheSegmentUpToTheConfiguredStep) {
  auto log = open(preallocating(4 << 20, 64 << 20));
  append(*log, batch(1));
  EXPECT_EQ(env_.reserved_past_end(kFirst), 1u << 20);  // a small segment reserves 1 MiB
  const auto big = batch(100, 1000, 1000);
  uint64_t largest_step = 0;
  while (log->size_bytes() < (12u << 20)) {
    const uint64_t size_before = log->size_bytes();
    const uint64_t reserved_before = env_.reserved_past_end(kFirst);
    append(*log, big);
    const uint64_t reserved = env_.reserved_past_end(kFirst);
    if (reserved_before >= big.size()) {
      EXPECT_EQ(reserved, reserved_before - big.size());  // within the reservation
      continue;
    }
    const uint64_t step = std::min<uint64_t>(4 << 20, std::max<uint64_t>(size_before, 1 << 20));
    EXPECT_EQ(reserved, step) << "at " << size_before;
    largest_step = std::max(largest_step, reserved);
  }
  EXPECT_EQ(largest_step, 4u << 20);
}

TEST_F(PartitionLogTest, RollGivesBackTheSealedSegmentsReservation) {
  auto log = open(preallocating(4096, 2048));
  const auto one = batch(1, 1000, 1000);
  append(*log, one);
  EXPECT_GT(env_.reserved_past_end(kFirst), 0u);
  append(*log, one);  // does not fit: rolls
  ASSERT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(env_.reserved_past_end(kFirst), 0u);
  EXPECT_EQ(env_.content(kFirst).size(), one.size());
  const std::string second = "/p/" + Segment::file_name(1, ".log");
  EXPECT_GT(env_.reserved_past_end(second), 0u);
}

TEST_F(PartitionLogTest, CloseGivesBackTheReservationAndReopenReservesAgain) {
  auto config = preallocating(4096);
  auto log = open(config);
  append(*log, batch(2));
  ASSERT_TRUE(log->close());
  EXPECT_EQ(env_.reserved_past_end(kFirst), 0u);
  log = open(config);
  EXPECT_TRUE(report_.clean_shutdown);
  append(*log, batch(2));
  EXPECT_EQ(env_.reserved_past_end(kFirst), 4096u);
  EXPECT_EQ(read_all_headers(*log).size(), 2u);
}

TEST_F(PartitionLogTest, TruncationKeepsNoReservationPastTheNewEnd) {
  auto log = open(preallocating(4096));
  append(*log, batch(2));
  append(*log, batch(2));
  ASSERT_EQ(log->truncate_to(2).value(), 2);
  EXPECT_EQ(env_.content(kFirst).size(), log->size_bytes());
  EXPECT_EQ(env_.reserved_past_end(kFirst), 0u);
  append(*log, batch(1));  // reserves again from the new end
  EXPECT_EQ(env_.reserved_past_end(kFirst), 4096u);
}

TEST_F(PartitionLogTest, PreallocationOffReservesNothing) {
  auto log = open(preallocating(0));
  append(*log, batch(2));
  EXPECT_EQ(env_.reserved_past_end(kFirst), 0u);
}

// A crash can leave the file longer than the acknowledged batches: the size may reach past the
// data that made it to disk, which then reads as zeros, or hold a torn batch. With
// preallocation such a tail can be as long as a whole step.
TEST_F(PartitionLogTest, ZeroTailAsLongAsAPreallocationStepIsCutAfterACrash) {
  auto config = preallocating(1 << 20, 4 << 20);
  uint64_t acknowledged = 0;
  {
    auto log = open(config);
    append_acknowledged(*log, 5);
    acknowledged = log->size_bytes();
  }
  auto file = env_.content(kFirst);
  ASSERT_EQ(file.size(), acknowledged);
  const uint64_t zeros = (1 << 20) + 3;  // crosses the 1 MiB window of the tail inspection
  file.resize(file.size() + zeros, std::byte{0});
  env_.set_content(kFirst, file);
  auto log = open(config);
  EXPECT_EQ(report_.bytes_truncated, 0u);
  EXPECT_EQ(report_.zero_bytes_dropped, zeros);
  EXPECT_EQ(log->size_bytes(), acknowledged);
  EXPECT_EQ(log->high_watermark(), 10);
  EXPECT_EQ(read_all_headers(*log).size(), 5u);
}

// Pre-writing (LogConfig::prewrite_bytes): zeros written ahead of the active segment's end, so
// that appends overwrite blocks within the file's size.
LogConfig prewriting(uint64_t step, uint64_t segment_bytes = 1 << 20) {
  LogConfig config;
  config.preallocate_bytes = 0;
  config.prewrite_bytes = step;
  config.segment_bytes = segment_bytes;
  return config;
}

bool zeros_from(const std::vector<std::byte>& file, uint64_t from) {
  return std::all_of(file.begin() + static_cast<std::ptrdiff_t>(from), file.end(),
                     [](std::byte b) { return b == std::byte{0}; });
}

TEST_F(PartitionLogTest, ZerosAreWrittenAheadWithinTheFileOffTheAppendPath) {
  auto log = open(prewriting(4096));
  const auto one = batch(1, 1000, 100);
  append(*log, one);
  EXPECT_EQ(env_.content(kFirst).size(), log->size_bytes()) << "an append writes no zeros";
  ASSERT_TRUE(log->wants_prewrite());
  log->prewrite_ahead();
  EXPECT_FALSE(log->wants_prewrite());
  const auto file = env_.content(kFirst);
  ASSERT_EQ(file.size(), log->size_bytes() + 4096);
  EXPECT_TRUE(zeros_from(file, log->size_bytes()));
  // Reads end at the last batch, never in the zeros.
  EXPECT_EQ(log->read(0, 1 << 20).value().total_bytes(), log->size_bytes());
  // Appends overwrite the zeros and leave the file's size alone; once less than half of them
  // remain, more are wanted, and written up to a whole step past the end again.
  size_t batches = 1;
  while (!log->wants_prewrite()) {
    ASSERT_LT(log->size_bytes() + one.size(), file.size()) << "zeros wanted before they run out";
    append(*log, one);
    ++batches;
    EXPECT_EQ(env_.content(kFirst).size(), file.size());
  }
  EXPECT_LT(file.size() - log->size_bytes(), 2048u);
  log->prewrite_ahead();
  const auto grown = env_.content(kFirst);
  EXPECT_EQ(grown.size(), log->size_bytes() + 4096);
  EXPECT_TRUE(zeros_from(grown, log->size_bytes()));
  // An append past the zeros (none were written meanwhile) grows the file by itself.
  while (log->size_bytes() + one.size() <= grown.size()) {
    append(*log, one);
    ++batches;
  }
  append(*log, one);
  ++batches;
  EXPECT_EQ(env_.content(kFirst).size(), log->size_bytes());
  EXPECT_EQ(read_all_headers(*log).size(), batches);
}

TEST_F(PartitionLogTest, PrewriteStopsAtTheSegmentSizeAndARollCutsItOff) {
  auto log = open(prewriting(4096, 2048));
  const auto one = batch(1, 1000, 1000);
  append(*log, one);
  log->prewrite_ahead();
  EXPECT_EQ(env_.content(kFirst).size(), 2048u);
  EXPECT_FALSE(log->wants_prewrite()) << "nothing more fits below segment.bytes";
  append(*log, one);  // does not fit: rolls
  ASSERT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(env_.content(kFirst).size(), one.size()) << "a sealed segment holds only batches";
  log->prewrite_ahead();
  EXPECT_EQ(env_.content("/p/" + Segment::file_name(1, ".log")).size(), 2048u);
}

TEST_F(PartitionLogTest, PrewrittenZerosAreDroppedAfterACrashAndCutAtClose) {
  const auto config = prewriting(4096);
  uint64_t acknowledged = 0;
  uint64_t file_bytes = 0;
  {
    auto log = open(config);
    append_acknowledged(*log, 3);
    acknowledged = log->size_bytes();
    file_bytes = env_.content(kFirst).size();
    ASSERT_GT(file_bytes, acknowledged);
  }  // no close: as after a crash
  env_.drop_unsynced();
  ASSERT_EQ(env_.content(kFirst).size(), file_bytes) << "the zeros were synced too";
  auto log = open(config);
  EXPECT_FALSE(report_.clean_shutdown);
  EXPECT_EQ(report_.bytes_truncated, 0u) << "zeros are not a torn batch";
  EXPECT_EQ(report_.zero_bytes_dropped, file_bytes - acknowledged);
  EXPECT_EQ(log->high_watermark(), 6);
  EXPECT_EQ(env_.content(kFirst).size(), acknowledged);
  // Appending goes on where the batches end, pre-writing again; a clean close cuts the zeros.
  EXPECT_EQ(append(*log, batch(1)).base_offset, 6);
  log->prewrite_ahead();
  EXPECT_EQ(env_.content(kFirst).size(), log->size_bytes() + 4096);
  ASSERT_TRUE(log->close());
  EXPECT_EQ(env_.content(kFirst).size(), log->size_bytes());
  log = open(config);
  EXPECT_TRUE(report_.clean_shutdown);
  EXPECT_EQ(report_.segments_scanned, 0);
  EXPECT_EQ(read_all_headers(*log).size(), 4u);
}

TEST_F(PartitionLogTest, NothingIsPrewrittenWithoutFsync) {
  auto config = prewriting(4096);
  config.durability = Durability::kNoSync;
  auto log = open(config);
  append(*log, batch(2));
  EXPECT_FALSE(log->wants_prewrite());
  log->prewrite_ahead();
  EXPECT_EQ(env_.content(kFirst).size(), log->size_bytes());
}

// The same crash shapes on a real filesystem, where the reserved blocks exist: what a reader
// or recovery sees is bounded by the file size, never by the reservation.
class PreallocationOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-prealloc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    int fd = ::open((dir_ / "probe").c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    supported_ = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
    ::close(fd);
    std::filesystem::remove(dir_ / "probe");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string log_path() const { return (dir_ / "00000000000000000000.log").string(); }
  struct stat stat_log() const {
    struct stat st {};
    EXPECT_EQ(::stat(log_path().c_str(), &st), 0);
    return st;
  }

  std::filesystem::path dir_;
  bool supported_ = false;
};

TEST_F(PreallocationOnDisk, ReservedBlocksAreAllocatedButOutsideTheFile) {
  if (!supported_) GTEST_SKIP() << "this filesystem cannot reserve blocks";
  auto config = preallocating(1 << 20, 8 << 20);
  auto log = PartitionLog::open(posix_env(), dir_.string(), config).value().log;
  auto bytes = batch(4, 1000, 500);
  auto r = log->append(bytes, 0).value();
  ASSERT_TRUE(log->wait_durable(r.last_offset));
  auto st = stat_log();
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), log->size_bytes());
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, 1u << 20);
  auto read = log->read(0, 16 << 20).value();
  EXPECT_EQ(read.total_bytes(), log->size_bytes());
  ASSERT_TRUE(log->close());
  EXPECT_LT(static_cast<uint64_t>(stat_log().st_blocks) * 512, 1u << 20);
}

TEST_F(PreallocationOnDisk, CrashLeavingZerosOrGarbageInTheReservedTailKeepsTheAcknowledged) {
  if (!supported_) GTEST_SKIP() << "this filesystem cannot reserve blocks";
  auto config = preallocating(1 << 20, 8 << 20);
  std::vector<uint32_t> acknowledged_crcs;
  uint64_t acknowledged_bytes = 0;
  {
    auto log = PartitionLog::open(posix_env(), dir_.string(), config).value().log;
    for (int i = 0; i < 8; ++i) {
      auto bytes = batch(2, 1000 + i, 400, static_cast<uint8_t>(i));
      acknowledged_crcs.push_back(validate_batch(bytes).value().crc);
      auto r = log->append(bytes, 0).value();
      ASSERT_TRUE(log->wait_durable(r.last_offset));
    }
    acknowledged_bytes = log->size_bytes();
  }  // no close: as after a crash, the reservation is still there
  for (const bool garbage : {false, true}) {
    SCOPED_TRACE(garbage ? "garbage tail" : "zero tail");
    // The file size ran ahead of the data into the reserved blocks (zeros), or a torn batch
    // landed there (garbage).
    const uint64_t tail = 300000;
    int fd = ::open(log_path().c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    if (garbage) {
      std::mt19937 rng(11);
      std::vector<unsigned char> junk(tail);
      for (auto& b : junk) b = static_cast<unsigned char>(rng());
      ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(acknowledged_bytes)),
                static_cast<ssize_t>(tail));
    } else {
      ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(acknowledged_bytes + tail)), 0);
    }
    ::close(fd);
    auto reopened = PartitionLog::open(posix_env(), dir_.string(), config);
    ASSERT_TRUE(reopened) << reopened.error().message();
    EXPECT_EQ(reopened->report.bytes_truncated + reopened->report.zero_bytes_dropped, tail);
    if (!garbage) {
      EXPECT_EQ(reopened->report.zero_bytes_dropped, tail);
    }
    EXPECT_EQ(reopened->log->size_bytes(), acknowledged_bytes);
    EXPECT_EQ(static_cast<uint64_t>(stat_log().st_size), acknowledged_bytes);
    auto headers = read_all_headers(*reopened->log);
    ASSERT_EQ(headers.size(), acknowledged_crcs.size());
    for (size_t i = 0; i < headers.size(); ++i) EXPECT_EQ(headers[i].crc, acknowledged_crcs[i]);
  }
  // Appends continue right after the last acknowledged batch.
  auto log = PartitionLog::open(posix_env(), dir_.string(), config).value().log;
  auto one = batch(1);
  auto more = log->append(one, 0);
  ASSERT_TRUE(more);
  EXPECT_EQ(more->base_offset, 16);
  EXPECT_EQ(log->size_bytes(), acknowledged_bytes + one.size());
}

}  // namespace
}  // namespace velocity::storage
