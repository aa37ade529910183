#include "broker/storage/flusher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "broker/storage/fake_env.h"
#include "broker/storage/log_test_util.h"

namespace velocity::storage {
namespace {

using testing::batch;

// Without pre-writing, so that the syncs the cases count and hold are the flusher's alone.
std::shared_ptr<PartitionLog> open_log(FakeEnv& env, const std::string& dir) {
  LogConfig config;
  config.prewrite_bytes = 0;
  return PartitionLog::open(env, dir, config).value().log;
}

int64_t append_one(PartitionLog& log) {
  auto bytes = batch(1);
  return log.append(bytes, 0).value().last_offset;
}

TEST(Flusher, CallbackRunsOnceTheOffsetIsDurable) {
  FakeEnv env;
  auto log = open_log(env, "/a");
  const int64_t offset = append_one(*log);
  std::promise<Result<void>> done;
  {
    Flusher flusher;
    flusher.request(log, offset, [&](Result<void> r) { done.set_value(std::move(r)); });
    auto r = done.get_future().get();
    EXPECT_TRUE(r);
    EXPECT_GT(log->durable_offset(), offset);
  }
  env.drop_unsynced();
  log.reset();
  EXPECT_EQ(open_log(env, "/a")->high_watermark(), offset + 1);
}

TEST(Flusher, PendingRequestsForOneLogShareOneSync) {
  FakeEnv env;
  auto log = open_log(env, "/a");
  std::vector<int64_t> offsets;
  for (int i = 0; i < 10; ++i) offsets.push_back(append_one(*log));
  const int before = env.file_syncs();
  std::atomic<int> ok{0};
  {
    Flusher flusher;
    // Queued faster than one sync round; however the rounds fall, the first one covers every
    // offset appended so far, so later rounds find nothing to sync.
    for (auto o : offsets) flusher.request(log, o, [&](Result<void> r) { ok += r ? 1 : 0; });
  }
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(env.file_syncs() - before, 1);
}

TEST(Flusher, EachLogIsSyncedForItsOwnRequests) {
  FakeEnv env;
  auto a = open_log(env, "/a");
  auto b = open_log(env, "/b");
  const int64_t oa = append_one(*a);
  const int64_t ob = append_one(*b);
  std::atomic<int> ok{0};
  {
    Flusher flusher;
    flusher.request(a, oa, [&](Result<void> r) { ok += r ? 1 : 0; });
    flusher.request(b, ob, [&](Result<void> r) { ok += r ? 1 : 0; });
  }
  EXPECT_EQ(ok.load(), 2);
  EXPECT_GT(a->durable_offset(), oa);
  EXPECT_GT(b->durable_offset(), ob);
}

TEST(Flusher, TheLogsOfOneRoundAreSyncedAtTheSameTime) {
  FakeEnv env;
  constexpr int kLogs = 4;
  auto gate = open_log(env, "/gate");
  const int64_t gate_offset = append_one(*gate);
  std::vector<std::shared_ptr<PartitionLog>> logs;
  std::vector<int64_t> offsets;
  for (int i = 0; i < kLogs; ++i) {
    logs.push_back(open_log(env, "/p" + std::to_string(i)));
    offsets.push_back(append_one(*logs.back()));
  }
  // The first sync (the gate log's) holds its round until the four other requests are
  // queued, so they form the next round together. Each of those syncs then waits until all
  // four have started, or a bound passes: syncs made one after another would each wait out
  // the bound and never see more than one in flight.
  std::mutex mu;
  std::condition_variable cv;
  bool queued = false;
  int started = 0;
  int in_flight = 0;
  int most_in_flight = 0;
  env.before_sync([&] {
    std::unique_lock lock(mu);
    if (++started == 1) {
      cv.notify_all();
      cv.wait_for(lock, std::chrono::seconds(5), [&] { return queued; });
      return;
    }
    most_in_flight = std::max(most_in_flight, ++in_flight);
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return started == kLogs + 1; });
    --in_flight;
  });
  std::atomic<int> ok{0};
  {
    Flusher flusher(kLogs);
    flusher.request(gate, gate_offset, [&](Result<void> r) { ok += r ? 1 : 0; });
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::seconds(5), [&] { return started == 1; });
    }
    for (int i = 0; i < kLogs; ++i)
      flusher.request(logs[i], offsets[i], [&](Result<void> r) { ok += r ? 1 : 0; });
    {
      std::lock_guard lock(mu);
      queued = true;
    }
    cv.notify_all();
  }
  EXPECT_EQ(ok.load(), kLogs + 1);
  for (int i = 0; i < kLogs; ++i) EXPECT_GT(logs[i]->durable_offset(), offsets[i]);
  EXPECT_EQ(most_in_flight, kLogs);
}

TEST(Flusher, RequestsArrivingDuringALogsSyncShareItsNextSync) {
  FakeEnv env;
  auto log = open_log(env, "/a");
  const int64_t first = append_one(*log);
  // The first sync is held until five more batches were appended and requested; one more
  // sync then covers all five.
  std::mutex mu;
  std::condition_variable cv;
  int syncs_started = 0;
  bool queued = false;
  env.before_sync([&] {
    std::unique_lock lock(mu);
    if (++syncs_started > 1) return;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return queued; });
  });
  const int before = env.file_syncs();
  std::atomic<int> ok{0};
  {
    Flusher flusher;
    flusher.request(log, first, [&](Result<void> r) { ok += r ? 1 : 0; });
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::seconds(5), [&] { return syncs_started == 1; });
    }
    for (int i = 0; i < 5; ++i)
      flusher.request(log, append_one(*log), [&](Result<void> r) { ok += r ? 1 : 0; });
    {
      std::lock_guard lock(mu);
      queued = true;
    }
    cv.notify_all();
  }
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(env.file_syncs() - before, 2);
  EXPECT_EQ(log->durable_offset(), first + 6);
}

TEST(Flusher, OneSyncThreadStillAnswersEveryLog) {
  FakeEnv env;
  std::vector<std::shared_ptr<PartitionLog>> logs;
  std::vector<int64_t> offsets;
  for (int i = 0; i < 5; ++i) {
    logs.push_back(open_log(env, "/q" + std::to_string(i)));
    offsets.push_back(append_one(*logs.back()));
  }
  std::atomic<int> ok{0};
  {
    Flusher flusher(1);
    for (int i = 0; i < 5; ++i)
      flusher.request(logs[i], offsets[i], [&](Result<void> r) { ok += r ? 1 : 0; });
  }
  EXPECT_EQ(ok.load(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_GT(logs[i]->durable_offset(), offsets[i]);
}

TEST(Flusher, ALogThatWantsZerosAheadGetsThemAfterItsSync) {
  FakeEnv env;
  LogConfig config;
  config.prewrite_bytes = 64 << 10;
  auto log = PartitionLog::open(env, "/a", config).value().log;
  const int64_t offset = append_one(*log);
  ASSERT_TRUE(log->wants_prewrite());
  const std::string file = "/a/" + Segment::file_name(0, ".log");
  ASSERT_EQ(env.content(file).size(), log->size_bytes()) << "appends write no zeros";
  std::promise<Result<void>> done;
  Flusher flusher;
  flusher.request(log, offset, [&](Result<void> r) { done.set_value(std::move(r)); });
  ASSERT_TRUE(done.get_future().get());
  // The pre-write thread writes them after the sync, and makes them durable.
  for (int i = 0; i < 500 && log->wants_prewrite(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(log->wants_prewrite());
  env.drop_unsynced();
  EXPECT_EQ(env.content(file).size(), log->size_bytes() + (64 << 10));
}

TEST(Flusher, SyncFailureIsReportedToEveryWaiterOfThatLog) {
  FakeEnv env;
  auto log = open_log(env, "/a");
  const int64_t offset = append_one(*log);
  env.fail_syncs(true);
  std::promise<Result<void>> done;
  Flusher flusher;
  flusher.request(log, offset, [&](Result<void> r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
}

TEST(Flusher, OffsetNeverAppendedIsRejected) {
  FakeEnv env;
  auto log = open_log(env, "/a");
  std::promise<Result<void>> done;
  Flusher flusher;
  flusher.request(log, 3, [&](Result<void> r) { done.set_value(std::move(r)); });
  EXPECT_EQ(done.get_future().get().error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace velocity::storage
