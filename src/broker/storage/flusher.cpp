#include "broker/storage/flusher.h"

#include <fmt/format.h>

#include <algorithm>

namespace velocity::storage {

Flusher::Flusher() : thread_([this] { run(); }) {}

Flusher::~Flusher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Flusher::request(std::shared_ptr<PartitionLog> log, int64_t offset, Callback done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      pending_.push_back(Pending{std::move(log), offset, std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(fail(ErrorCode::kClosed, "flusher is stopping"));
}

uint64_t Flusher::rounds() const {
  std::lock_guard lock(mu_);
  return rounds_;
}

void Flusher::run() {
  std::vector<Pending> round;  // reused between rounds
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping with nothing left to answer
      round.swap(pending_);
    }
    // Group by log so each log is synced once per round, however many requests it has.
    std::stable_sort(round.begin(), round.end(),
                     [](const Pending& a, const Pending& b) { return a.log < b.log; });
    for (size_t i = 0; i < round.size();) {
      size_t j = i;
      int64_t highest = round[i].offset;
      while (j < round.size() && round[j].log == round[i].log)
        highest = std::max(highest, round[j++].offset);
      auto& log = *round[i].log;
      Result<void> synced;
      if (log.durable_offset() <= highest) synced = log.sync();
      for (; i < j; ++i) {
        if (synced && log.durable_offset() <= round[i].offset) {
          round[i].done(
              fail(ErrorCode::kInvalidArgument,
                   fmt::format("{}: offset {} was never appended", log.dir(), round[i].offset)));
        } else {
          round[i].done(synced);
        }
      }
    }
    round.clear();
    std::lock_guard lock(mu_);
    ++rounds_;
  }
}

}  // namespace velocity::storage
