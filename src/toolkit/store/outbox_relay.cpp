#include <set>
#include <string>

#include "common/log.h"
#include "velocity/metrics.h"
#include "velocity/outbox.h"

namespace velocity {
namespace {

metrics::Counter& published_total() {
  static metrics::Counter& c = metrics::default_registry().counter(
      "velocity_outbox_published_total", "Outbox rows published to the bus and marked published");
  return c;
}

void report_backlog(const OutboxBacklog& backlog) {
  static metrics::Gauge& pending = metrics::default_registry().gauge(
      "velocity_outbox_backlog", "Outbox rows not yet published");
  static metrics::Gauge& age = metrics::default_registry().gauge(
      "velocity_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row, in seconds");
  pending.set(static_cast<double>(backlog.pending));
  age.set(std::chrono::duration<double>(backlog.oldest_age).count());
}

}  // namespace

OutboxRelay::OutboxRelay(OutboxStore& store, Publisher& publisher, OutboxRelayOptions options)
    : store_(store), publisher_(publisher), options_(std::move(options)) {}

OutboxRelay::~OutboxRelay() { (void)stop(std::chrono::milliseconds(0)); }

void OutboxRelay::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void OutboxRelay::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

Result<void> OutboxRelay::stop(std::chrono::milliseconds bound) {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + bound;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
  auto left = backlog();
  if (!left) return std::unexpected(left.error());
  if (left->pending > 0) {
    return fail(ErrorCode::kTimeout, "outbox relay stopped with " + std::to_string(left->pending) + " rows pending");
  }
  return {};
}

Result<RelayPass> OutboxRelay::publish_pending() {
  std::lock_guard pass(pass_mutex_);
  auto rows = store_.pending(options_.batch_size);
  if (!rows) return std::unexpected(rows.error());
  RelayPass result;
  if (rows->empty()) return result;

  std::vector<Message> messages;
  messages.reserve(rows->size());
  for (const auto& row : *rows) messages.push_back(row.message);

  std::vector<int64_t> published;
  std::vector<int64_t> failed;
  if (auto all = publisher_.publish(messages); all) {
    for (const auto& row : *rows) published.push_back(row.id);
  } else {
    // Some of the batch may have reached the bus; republishing them is a duplicate the inbox
    // absorbs. One by one now, so that only the keys that fail wait: a later row of a failed
    // key must not overtake it.
    log::warn("outbox relay: publishing {} rows failed ({}); retrying one by one", rows->size(),
              all.error().message());
    std::set<std::string, std::less<>> failed_keys;
    for (const auto& row : *rows) {
      if (failed_keys.contains(row.message.key)) {
        failed.push_back(row.id);
        continue;
      }
      if (auto one = publisher_.publish(row.message); one) {
        published.push_back(row.id);
      } else {
        failed_keys.insert(row.message.key);
        failed.push_back(row.id);
      }
    }
  }
  // The ack came before this mark: a crash in between republishes, never loses.
  if (auto r = store_.mark_published(published, options_.clock()); !r) return std::unexpected(r.error());
  published_total().inc(static_cast<double>(published.size()));
  if (auto r = store_.record_failure(failed); !r) return std::unexpected(r.error());
  result.published = published.size();
  result.failed = failed.size();
  return result;
}

Result<int64_t> OutboxRelay::clean_up() { return store_.delete_published_before(options_.clock() - options_.retention); }

Result<OutboxBacklog> OutboxRelay::backlog() {
  auto backlog = store_.backlog(options_.clock());
  if (backlog) report_backlog(*backlog);
  return backlog;
}

void OutboxRelay::run() {
  auto backoff = options_.initial_backoff;
  auto next_cleanup = std::chrono::steady_clock::now();
  auto next_gauges = next_cleanup;
  for (;;) {
    auto pass = publish_pending();
    bool trouble = !pass || pass->failed > 0;
    if (!pass) log::error("outbox relay: {}", pass.error().message());
    bool more = pass && pass->published + pass->failed >= options_.batch_size;
    bool drained = pass && pass->published + pass->failed == 0;

    auto now = std::chrono::steady_clock::now();
    // The gauges on /metrics stay at most one poll interval old, without counting the backlog
    // after every pass of a busy relay. A pass that found nothing pending has just counted it:
    // zero, no query needed.
    if (drained) {
      report_backlog(OutboxBacklog{});
      next_gauges = now + options_.poll_interval;
    } else if (now >= next_gauges) {
      if (auto b = backlog(); !b) log::error("outbox relay backlog: {}", b.error().message());
      next_gauges = now + options_.poll_interval;
    }
    if (now >= next_cleanup) {
      if (auto cleaned = clean_up(); !cleaned) log::error("outbox relay cleanup: {}", cleaned.error().message());
      next_cleanup = now + options_.cleanup_interval;
    }

    std::unique_lock lock(mutex_);
    if (stopping_ && (drained || now >= stop_deadline_)) return;
    std::chrono::milliseconds wait = options_.poll_interval;
    if (trouble) {
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = options_.initial_backoff;
      if (more || stopping_) wait = std::chrono::milliseconds(0);
    }
    if (wait.count() == 0) continue;
    auto until = now + wait;
    if (stopping_) until = std::min(until, stop_deadline_);
    wake_.wait_until(lock, until, [&] { return notified_ || (stopping_ && !trouble); });
    notified_ = false;
  }
}

}  // namespace velocity
