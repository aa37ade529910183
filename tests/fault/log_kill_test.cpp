// A child process appends to a partition log from several threads with durable acks, while
// another thread writes zeros ahead of the active segment as the broker's Flusher does, and
// reports every acknowledged batch through a pipe; the parent kill -9s it at a random moment
// (sometimes while it is still recovering), reopens the log and checks that every batch ever
// acknowledged is present and intact, and that no partial batch is visible. The second test
// does the same with several logs sharing one journal, acknowledged by the Flusher's journal
// group commit while background checkpoints rotate the journal.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "broker/storage/batch_builder.h"
#include "broker/storage/flusher.h"
#include "broker/storage/journal.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage {
namespace {

struct Ack {
  int64_t base_offset;
  int64_t last_offset;
  uint32_t crc;
};
static_assert(sizeof(Ack) <= PIPE_BUF, "acks must be written atomically");

LogConfig test_config() {
  LogConfig config;
  config.segment_bytes = 64 * 1024;  // many rolls per run
  config.index_interval_bytes = 1024;
  config.prewrite_bytes = 16 * 1024;  // several top-ups of zeros per segment
  return config;
}

// A batch of 1-5 records with values of 50-3049 bytes, drawn from `rng`, in `bytes`.
void random_batch(std::mt19937& rng, std::vector<std::byte>& bytes) {
  BatchSpec spec;
  spec.record_count = 1 + static_cast<int32_t>(rng() % 5);
  spec.value_size = 50 + rng() % 3000;
  spec.base_timestamp = static_cast<int64_t>(rng() % 100000);
  spec.fill_seed = static_cast<uint8_t>(rng());
  bytes.clear();
  append_batch(bytes, spec);
}

[[noreturn]] void run_child(const std::string& dir, int ack_fd, unsigned seed) {
  auto opened = PartitionLog::open(posix_env(), dir, test_config());
  if (!opened) _exit(3);
  auto log = opened->log;
  std::vector<std::thread> appenders;
  for (unsigned t = 0; t < 4; ++t) {
    appenders.emplace_back([&, t] {
      std::mt19937 rng(seed * 31 + t);
      std::vector<std::byte> bytes;
      for (;;) {
        random_batch(rng, bytes);
        auto appended = log->append(bytes, 0);
        if (!appended) _exit(4);
        if (!log->wait_durable(appended->last_offset)) _exit(5);
        Ack ack{appended->base_offset, appended->last_offset, validate_batch(bytes)->crc};
        if (::write(ack_fd, &ack, sizeof ack) != sizeof ack) _exit(6);
      }
    });
  }
  // Pre-writing, as the Flusher's thread does it after syncs: a kill may land in its zeros.
  appenders.emplace_back([&] {
    for (;;) {
      if (log->wants_prewrite()) {
        log->prewrite_ahead();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  });
  for (auto& t : appenders) t.join();
  _exit(0);
}

// Reads acks until `wanted` arrived (then returns true) or the pipe closed.
bool read_acks(int fd, std::vector<Ack>& acks, size_t wanted) {
  while (acks.size() < wanted) {
    Ack ack;
    ssize_t n = ::read(fd, &ack, sizeof ack);
    if (n == 0) return false;
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof ack) {
      ADD_FAILURE() << "short ack read: " << n;
      return false;
    }
    acks.push_back(ack);
  }
  return true;
}

// Every acknowledged batch is in `log`, and the log is whole batches with contiguous offsets.
void verify_log(PartitionLog& log, const std::vector<Ack>& acks, int cycle) {
  // Every acknowledged batch is there, byte-identical (same CRC, valid, at its offset).
  std::vector<std::byte> bytes;
  for (const auto& ack : acks) {
    auto r = log.read(ack.base_offset, 1);
    ASSERT_TRUE(r) << "cycle " << cycle << ": acked offset " << ack.base_offset << ": "
                   << r.error().message();
    ASSERT_FALSE(r->ranges.empty()) << "cycle " << cycle << ": acked offset " << ack.base_offset
                                    << " lost, high watermark " << log.high_watermark();
    bytes.resize(r->ranges[0].length);
    ASSERT_TRUE(r->ranges[0].read_into(bytes));
    auto h = validate_batch(bytes);
    ASSERT_TRUE(h) << "cycle " << cycle << ": " << h.error().message();
    ASSERT_EQ(h->base_offset, ack.base_offset) << "cycle " << cycle;
    ASSERT_EQ(h->last_offset(), ack.last_offset) << "cycle " << cycle;
    ASSERT_EQ(h->crc, ack.crc) << "cycle " << cycle;
  }
  // The whole log is whole batches with contiguous offsets: nothing partial is visible.
  int64_t next = log.log_start_offset();
  while (next < log.high_watermark()) {
    auto r = log.read(next, 1 << 20);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_FALSE(r->ranges.empty());
    for (const auto& range : r->ranges) {
      bytes.resize(range.length);
      ASSERT_TRUE(range.read_into(bytes));
      BatchWalker walker(bytes);
      for (;;) {
        auto v = walker.next();
        ASSERT_TRUE(v) << "cycle " << cycle << ": " << v.error().message();
        if (!*v) break;
        ASSERT_EQ((*v)->header.base_offset, next) << "cycle " << cycle;
        next = (*v)->header.last_offset() + 1;
      }
    }
  }
}

// Reopens the log after a kill and checks it; counts in `zero_tails` a reopen that dropped
// pre-written zeros.
void verify(const std::string& dir, const std::vector<Ack>& acks, int cycle, int& zero_tails) {
  auto opened = PartitionLog::open(posix_env(), dir, test_config());
  ASSERT_TRUE(opened) << "cycle " << cycle << ": " << opened.error().message();
  if (opened->report.zero_bytes_dropped > 0) ++zero_tails;
  verify_log(*opened->log, acks, cycle);
  // Alternate clean and unclean shutdowns of the verifier, so both open paths are crashed into.
  if (cycle % 2 == 0) {
    ASSERT_TRUE(opened->log->close());
  }
}

// One crash cycle: forks a child running `child(ack_fd)` (it never returns), reads `wanted` of its
// acks through `read(fd, wanted)` (false when the pipe ended first), kills it with SIGKILL, then
// reads what is left in the pipe (`read(fd, SIZE_MAX)`): those acks came before the kill and
// count too. Fails if the child ended on its own.
void kill_child_after(size_t wanted, const std::function<void(int ack_fd)>& child,
                      const std::function<bool(int fd, size_t wanted)>& read) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
    _exit(7);
  }
  ::close(fds[1]);
  const bool alive = read(fds[0], wanted);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  read(fds[0], SIZE_MAX);
  ::close(fds[0]);
  ASSERT_TRUE(alive || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
      << "child failed on its own, exit status " << WEXITSTATUS(status);
}

TEST(PartitionLogCrash, AcknowledgedBatchesSurviveKill9AtRandomMoments) {
  ::signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/velocity-fault-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/t-0";
  std::mt19937 rng(std::random_device{}());
  std::vector<Ack> acks;
  int zero_tails = 0;
  constexpr int kCycles = 60;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const unsigned seed = static_cast<unsigned>(rng());
    // One cycle in eight kills the child before its first ack, often while it recovers.
    const size_t wanted = rng() % 8 == 0 ? 0 : 1 + rng() % 40;
    kill_child_after(
        wanted, [&](int ack_fd) { run_child(dir, ack_fd, seed); },
        [&](int fd, size_t more) { return read_acks(fd, acks, more == SIZE_MAX ? SIZE_MAX : acks.size() + more); });
    if (HasFatalFailure()) break;
    verify(dir, acks, cycle, zero_tails);
    if (HasFatalFailure()) break;
  }
  EXPECT_GT(acks.size(), static_cast<size_t>(kCycles));
  EXPECT_GT(zero_tails, 0) << "no kill landed while zeros lay ahead of the batches";
  std::filesystem::remove_all(tmpl);
}

constexpr size_t kJournalPartitions = 4;

struct JournalAck {
  uint32_t partition;
  Ack ack;
};
static_assert(sizeof(JournalAck) <= PIPE_BUF, "acks must be written atomically");

JournalOptions journal_options() {
  JournalOptions options;
  options.checkpoint_bytes = 256 * 1024;  // several checkpoints (rotations) per run
  options.checkpoint_interval_ms = 200;
  return options;
}

struct JournalStorage {
  std::unique_ptr<Journal> journal;
  std::vector<std::shared_ptr<PartitionLog>> logs;
};

Result<JournalStorage> open_journal_storage(const std::string& root) {
  JournalStorage s;
  auto journal = Journal::open(posix_env(), root + "/journal", journal_options());
  if (!journal) return std::unexpected(journal.error());
  s.journal = std::move(*journal);
  for (size_t p = 0; p < kJournalPartitions; ++p) {
    auto opened = PartitionLog::open(posix_env(), root + "/t-" + std::to_string(p), test_config(),
                                     s.journal.get());
    if (!opened) return std::unexpected(opened.error());
    s.logs.push_back(opened->log);
  }
  if (auto r = s.journal->finish_recovery(); !r) return std::unexpected(r.error());
  return s;
}

[[noreturn]] void run_journal_child(const std::string& root, int ack_fd, unsigned seed) {
  auto opened = open_journal_storage(root);
  if (!opened) _exit(3);
  auto& s = *opened;
  Flusher flusher(kJournalPartitions, s.journal.get());
  std::vector<std::thread> appenders;
  for (unsigned t = 0; t < 6; ++t) {
    appenders.emplace_back([&, t] {
      std::mt19937 rng(seed * 31 + t);
      std::vector<std::byte> bytes;
      for (;;) {
        const uint32_t p = rng() % kJournalPartitions;
        random_batch(rng, bytes);
        auto appended = s.logs[p]->append(bytes, 0);
        if (!appended) _exit(4);
        std::promise<Result<void>> durable;
        flusher.request(s.logs[p], appended->last_offset,
                        [&durable](Result<void> r) { durable.set_value(std::move(r)); });
        if (!durable.get_future().get()) _exit(5);
        JournalAck ack{p,
                       {appended->base_offset, appended->last_offset, validate_batch(bytes)->crc}};
        if (::write(ack_fd, &ack, sizeof ack) != sizeof ack) _exit(6);
      }
    });
  }
  for (auto& t : appenders) t.join();
  _exit(0);
}

bool read_journal_acks(int fd, std::vector<std::vector<Ack>>& acks, size_t& total, size_t wanted) {
  while (total < wanted) {
    JournalAck ack;
    ssize_t n = ::read(fd, &ack, sizeof ack);
    if (n == 0) return false;
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof ack || ack.partition >= kJournalPartitions) {
      ADD_FAILURE() << "bad ack read: " << n;
      return false;
    }
    acks[ack.partition].push_back(ack.ack);
    ++total;
  }
  return true;
}

TEST(PartitionLogCrash, BatchesAcknowledgedThroughTheJournalSurviveKill9) {
  ::signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/velocity-fault-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  std::mt19937 rng(std::random_device{}());
  std::vector<std::vector<Ack>> acks(kJournalPartitions);
  size_t total = 0;
  constexpr int kCycles = 40;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const unsigned seed = static_cast<unsigned>(rng());
    const size_t wanted = rng() % 8 == 0 ? 0 : 1 + rng() % 200;
    kill_child_after(
        wanted, [&](int ack_fd) { run_journal_child(root, ack_fd, seed); },
        [&](int fd, size_t more) {
          return read_journal_acks(fd, acks, total, more == SIZE_MAX ? SIZE_MAX : total + more);
        });
    if (HasFatalFailure()) break;
    auto opened = open_journal_storage(root);
    ASSERT_TRUE(opened) << "cycle " << cycle << ": " << opened.error().message();
    for (size_t p = 0; p < kJournalPartitions; ++p) {
      verify_log(*opened->logs[p], acks[p], cycle);
      if (HasFatalFailure()) break;
    }
    if (HasFatalFailure()) break;
    // Alternate a clean shutdown (logs closed, journal checkpointed empty) with none.
    if (cycle % 2 == 0) {
      for (auto& log : opened->logs) ASSERT_TRUE(log->close());
      ASSERT_TRUE(opened->journal->close());
    }
  }
  EXPECT_GT(total, static_cast<size_t>(kCycles));
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace velocity::storage
