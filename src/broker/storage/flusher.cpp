#include "broker/storage/flusher.h"

#include <fmt/format.h>

#include <algorithm>

namespace velocity::storage {

Flusher::Flusher(size_t sync_threads, Journal* journal) : journal_(journal) {
  // The round thread syncs too, so it needs one helper fewer than the logs it may overlap.
  for (size_t i = 1; i < std::max<size_t>(sync_threads, 1); ++i) helpers_.emplace_back([this] { help(); });
  thread_ = std::thread([this] { run(); });
  prewrite_thread_ = std::thread([this] { prewrite_loop(); });
}

Flusher::~Flusher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  {
    std::lock_guard lock(work_mu_);
    helpers_stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& helper : helpers_) helper.join();
  {
    std::lock_guard lock(prewrite_mu_);
    prewrite_stop_ = true;
  }
  prewrite_cv_.notify_one();
  prewrite_thread_.join();
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

void Flusher::sync_and_answer(std::span<Pending> requests) {
  int64_t highest = requests.front().offset;
  for (const auto& r : requests) highest = std::max(highest, r.offset);
  auto& log = *requests.front().log;
  Result<void> synced;
  if (log.durable_offset() <= highest) synced = log.sync();
  for (auto& r : requests) {
    if (synced && log.durable_offset() <= r.offset) {
      r.done(fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: offset {} was never appended", log.dir(), r.offset)));
    } else {
      r.done(synced);
    }
  }
  if (synced && log.wants_prewrite()) queue_prewrite(requests.front().log);
}

void Flusher::queue_prewrite(const std::shared_ptr<PartitionLog>& log) {
  {
    std::lock_guard lock(prewrite_mu_);
    if (std::find(prewrite_queue_.begin(), prewrite_queue_.end(), log) != prewrite_queue_.end())
      return;
    prewrite_queue_.push_back(log);
  }
  prewrite_cv_.notify_one();
}

void Flusher::prewrite_loop() {
  std::vector<std::shared_ptr<PartitionLog>> logs;
  for (;;) {
    {
      std::unique_lock lock(prewrite_mu_);
      prewrite_cv_.wait(lock, [&] { return prewrite_stop_ || !prewrite_queue_.empty(); });
      if (prewrite_stop_) return;  // pre-writing is an optimisation: nothing is owed
      logs.swap(prewrite_queue_);
    }
    for (const auto& log : logs) log->prewrite_ahead();
    logs.clear();
  }
}

void Flusher::journal_round(std::vector<Pending>& round) {
  auto synced = journal_->sync();
  size_t kept = 0;
  for (size_t i = 0; i < round.size(); ++i) {
    auto& r = round[i];
    if (!synced || r.log->durable_offset() > r.offset) {
      r.done(synced);
    } else if (kept++ != i) {
      round[kept - 1] = std::move(r);
    }
  }
  round.resize(kept);
}

bool Flusher::sync_next() {
  std::span<Pending> requests;
  {
    std::lock_guard lock(work_mu_);
    if (next_ == work_.size()) return false;
    requests = work_[next_++];
  }
  sync_and_answer(requests);
  bool last = false;
  {
    std::lock_guard lock(work_mu_);
    last = --unfinished_ == 0;
  }
  if (last) done_cv_.notify_all();
  return true;
}

void Flusher::help() {
  for (;;) {
    {
      std::unique_lock lock(work_mu_);
      work_cv_.wait(lock, [&] { return helpers_stop_ || next_ < work_.size(); });
      if (next_ == work_.size()) return;  // stopping, nothing left to take
    }
    while (sync_next()) {
    }
  }
}

void Flusher::run() {
  std::vector<Pending> round;  // reused between rounds
  std::vector<std::span<Pending>> by_log;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping with nothing left to answer
      round.swap(pending_);
    }
    if (journal_) journal_round(round);
    // Group by log so each log is synced once per round, however many requests it has.
    std::stable_sort(round.begin(), round.end(),
                     [](const Pending& a, const Pending& b) { return a.log < b.log; });
    by_log.clear();
    for (size_t i = 0; i < round.size();) {
      size_t j = i;
      while (j < round.size() && round[j].log == round[i].log) ++j;
      by_log.emplace_back(round.data() + i, j - i);
      i = j;
    }
    if (by_log.size() == 1 || helpers_.empty()) {
      for (auto requests : by_log) sync_and_answer(requests);
    } else {
      {
        std::lock_guard lock(work_mu_);
        work_.swap(by_log);
        next_ = 0;
        unfinished_ = work_.size();
      }
      work_cv_.notify_all();
      while (sync_next()) {
      }
      std::unique_lock lock(work_mu_);
      done_cv_.wait(lock, [&] { return unfinished_ == 0; });
      work_.swap(by_log);
      work_.clear();
      next_ = 0;
    }
    round.clear();
    std::lock_guard lock(mu_);
    ++rounds_;
  }
}

}  // namespace velocity::storage
