#include "broker/group/offset_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "broker/group/scratch_dir.h"

namespace velocity::group {
namespace {

std::unique_ptr<OffsetStore> open_store(const ScratchDir& dir, OffsetStoreOptions options = {}) {
  auto store = OffsetStore::open(dir.path(), options);
  EXPECT_TRUE(store.has_value()) << store.error().message();
  return store ? std::move(*store) : nullptr;
}

CommittedOffset at(int64_t offset, std::optional<std::string> metadata = "m") {
  return {offset, 3, std::move(metadata), 1'700'000'000'000 + offset};
}

std::filesystem::path log_path(const ScratchDir& dir) {
  return dir.path() / OffsetStore::kLogFileName;
}

void append_raw(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

TEST(OffsetStore, CommitsSurviveReopen) {
  ScratchDir dir;
  {
    auto store = open_store(dir);
    std::vector<OffsetWrite> writes = {{{"orders", 0}, at(10)},
                                       {{"orders", 1}, at(20, std::nullopt)}};
    ASSERT_TRUE(store->commit_offsets("billing", writes));
    ASSERT_TRUE(store->save_group_metadata("billing", {7, "consumer"}));
  }
  auto store = open_store(dir);
  EXPECT_EQ(store->offset("billing", {"orders", 0}), at(10));
  EXPECT_EQ(store->offset("billing", {"orders", 1}), at(20, std::nullopt))
      << "null metadata stays null";
  EXPECT_EQ(store->group_metadata("billing"), (GroupMetadata{7, "consumer"}));
  EXPECT_EQ(store->recovery().records_replayed, 3u);
  EXPECT_EQ(store->recovery().torn_bytes_dropped, 0u);
}

TEST(OffsetStore, TornTailIsIgnoredAndTruncated) {
  ScratchDir dir;
  uint64_t good_size = 0;
  {
    auto store = open_store(dir);
    std::vector<OffsetWrite> writes = {{{"orders", 0}, at(10)}};
    ASSERT_TRUE(store->commit_offsets("billing", writes));
    good_size = store->log_bytes();
  }
  // Cut a complete frame at every byte: each prefix must recover exactly the first commit.
  std::string frame;
  encode_offset_record({.type = OffsetRecordType::kOffsetCommit,
                        .group = "billing",
                        .topic = "orders",
                        .partition = 0,
                        .offset = at(99)},
                       frame);
  for (size_t cut = 1; cut < frame.size(); ++cut) {
    std::filesystem::resize_file(log_path(dir), good_size);
    append_raw(log_path(dir), frame.substr(0, cut));
    auto store = open_store(dir);
    ASSERT_TRUE(store) << "cut " << cut;
    EXPECT_EQ(store->offset("billing", {"orders", 0}), at(10)) << "cut " << cut;
    EXPECT_EQ(store->recovery().torn_bytes_dropped, cut);
    EXPECT_EQ(std::filesystem::file_size(log_path(dir)), good_size) << "torn tail truncated";
  }
}

TEST(OffsetStore, ZeroFilledTailIsIgnored) {
  ScratchDir dir;
  {
    auto store = open_store(dir);
    std::vector<OffsetWrite> writes = {{{"orders", 0}, at(10)}};
    ASSERT_TRUE(store->commit_offsets("billing", writes));
  }
  append_raw(log_path(dir), std::string(4096, '\0'));
  auto store = open_store(dir);
  EXPECT_EQ(store->offset("billing", {"orders", 0}), at(10));
  EXPECT_EQ(store->recovery().torn_bytes_dropped, 4096u);
}

TEST(OffsetStore, ChecksumFailureInLastFrameIsTreatedAsTornTail) {
  ScratchDir dir;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(
        store->commit_offsets("billing", std::vector<OffsetWrite>{{{"orders", 0}, at(10)}}));
    ASSERT_TRUE(
        store->commit_offsets("billing", std::vector<OffsetWrite>{{{"orders", 0}, at(11)}}));
  }
  std::string content = *read_whole_file(log_path(dir));
  content[content.size() - 3] ^= 0x01;
  ASSERT_TRUE(replace_file_atomically(log_path(dir), content));
  auto store = open_store(dir);
  EXPECT_EQ(store->offset("billing", {"orders", 0}), at(10));
  EXPECT_GT(store->recovery().torn_bytes_dropped, 0u);
}

TEST(OffsetStore, DamageBeforeTheTailFailsToOpen) {
  ScratchDir dir;
  {
    auto store = open_store(dir);
    for (int64_t i = 0; i < 3; ++i) {
      std::vector<OffsetWrite> writes = {{{"orders", 0}, at(i)}};
      ASSERT_TRUE(store->commit_offsets("billing", writes));
    }
  }
  std::string content = *read_whole_file(log_path(dir));
  content[kOffsetLogFrameHeader + 3] ^= 0x20;  // inside the first payload
  ASSERT_TRUE(replace_file_atomically(log_path(dir), content));
  auto store = OffsetStore::open(dir.path());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kCorrupt);
}

TEST(OffsetStore, TombstonesRemoveOffsetsAndGroups) {
  ScratchDir dir;
  {
    auto store = open_store(dir);
    std::vector<OffsetWrite> writes = {{{"orders", 0}, at(1)}, {{"orders", 1}, at(2)}};
    ASSERT_TRUE(store->commit_offsets("billing", writes));
    ASSERT_TRUE(store->commit_offsets("shipping", writes));
    std::vector<TopicPartition> gone = {{"orders", 1}};
    ASSERT_TRUE(store->delete_offsets("billing", gone));
    ASSERT_TRUE(store->delete_group("shipping"));
  }
  auto store = open_store(dir);
  EXPECT_EQ(store->offset("billing", {"orders", 0}), at(1));
  EXPECT_EQ(store->offset("billing", {"orders", 1}), std::nullopt);
  EXPECT_FALSE(store->has_group("shipping"));
  EXPECT_EQ(store->groups(), std::vector<std::string>{"billing"});
}

TEST(OffsetStore, CompactionKeepsOnlyLatest) {
  ScratchDir dir;
  uint64_t before = 0;
  {
    auto store = open_store(dir, {.compact_min_bytes = 1u << 30});
    for (int64_t i = 0; i < 200; ++i) {
      std::vector<OffsetWrite> writes = {{{"orders", static_cast<int32_t>(i % 2)}, at(i)}};
      ASSERT_TRUE(store->commit_offsets("billing", writes));
    }
    ASSERT_TRUE(store->commit_offsets("gone", std::vector<OffsetWrite>{{{"t", 0}, at(1)}}));
    ASSERT_TRUE(store->delete_group("gone"));
    before = store->log_bytes();
    ASSERT_TRUE(store->compact());
    EXPECT_LT(store->log_bytes() * 50, before);
    // Appends after compaction go to the new file.
    ASSERT_TRUE(
        store->commit_offsets("billing", std::vector<OffsetWrite>{{{"orders", 2}, at(500)}}));
  }
  auto store = open_store(dir);
  EXPECT_EQ(store->recovery().records_replayed, 3u);
  EXPECT_EQ(store->offset("billing", {"orders", 0}), at(198));
  EXPECT_EQ(store->offset("billing", {"orders", 1}), at(199));
  EXPECT_EQ(store->offset("billing", {"orders", 2}), at(500));
  EXPECT_FALSE(store->has_group("gone"));
}

TEST(OffsetStore, CompactsByItselfWhenMostlyDead) {
  ScratchDir dir;
  auto store = open_store(dir, {.compact_min_bytes = 4096});
  uint64_t largest = 0;
  for (int64_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(store->commit_offsets("billing", std::vector<OffsetWrite>{{{"orders", 0}, at(i)}}));
    largest = std::max(largest, store->log_bytes());
  }
  EXPECT_LE(largest, 4096u + 200u);
  EXPECT_EQ(store->offset("billing", {"orders", 0}), at(499));
}

TEST(OffsetStore, LeftoverCompactionTempFileIsIgnored) {
  ScratchDir dir;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store->commit_offsets("billing", std::vector<OffsetWrite>{{{"orders", 0}, at(5)}}));
  }
  std::filesystem::path tmp = log_path(dir);
  tmp += ".tmp";
  append_raw(tmp, "half a snapshot");
  auto store = open_store(dir);
  EXPECT_EQ(store->offset("billing", {"orders", 0}), at(5));
  EXPECT_FALSE(std::filesystem::exists(tmp));
}

// A child process commits and reports each acknowledged offset through a pipe; it is killed
// with SIGKILL mid-stream. Every offset it reported as committed must be there on reopen.
TEST(OffsetStore, AcknowledgedCommitsSurviveKill9) {
  ScratchDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto store = OffsetStore::open(dir.path(), {.compact_min_bytes = 2048});
    if (!store) ::_exit(2);
    for (int64_t i = 0;; ++i) {
      std::vector<OffsetWrite> writes = {{{"orders", 0}, at(i)}, {{"orders", 1}, at(i)}};
      if (!(*store)->commit_offsets("billing", writes)) ::_exit(3);
      if (::write(fds[1], &i, sizeof(i)) != sizeof(i)) ::_exit(4);
    }
  }
  ::close(fds[1]);
  int64_t acked = -1;
  for (int received = 0; received < 300; ++received) {
    ASSERT_EQ(::read(fds[0], &acked, sizeof(acked)), static_cast<ssize_t>(sizeof(acked)));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = open_store(dir);
  ASSERT_TRUE(store);
  auto committed = store->offset("billing", {"orders", 0});
  ASSERT_TRUE(committed.has_value());
  EXPECT_GE(committed->offset, acked);
  EXPECT_EQ(store->offset("billing", {"orders", 1})->offset, committed->offset)
      << "one commit's partitions are written and synced together";
}

}  // namespace
}  // namespace velocity::group
