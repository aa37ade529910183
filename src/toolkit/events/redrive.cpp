#include <condition_variable>
#include <deque>
#include <mutex>

#include "toolkit/events/provenance.h"
#include "velocity/dead_letter.h"
#include "velocity/event.h"

namespace velocity {

Result<Message> prepare_redrive(const Message& dead_letter, int max_redrives) {
  const auto where = dead_letter.topic + "@" + std::to_string(dead_letter.partition) + "/" +
                     std::to_string(dead_letter.offset);
  const auto original = dead_letter.header(kOriginalTopicHeader);
  if (!original || original->empty()) {
    return fail(ErrorCode::kInvalidArgument, where + ": not a dead letter (no original topic)");
  }
  const int64_t count = events::integer_header(dead_letter, kRedriveCountHeader).value_or(0);
  // The loop guard: an event that keeps coming back to the DLQ needs a fix, not more redrives.
  if (count >= max_redrives) {
    return fail(ErrorCode::kInvalidArgument, where + ": already redriven " +
                                                 std::to_string(count) + " time(s), limit " +
                                                 std::to_string(max_redrives));
  }
  Message m;
  m.topic = std::string(*original);
  m.key = dead_letter.key;
  m.payload = dead_letter.payload;
  m.headers = dead_letter.headers;
  events::strip_provenance(m);
  m.headers.push_back({std::string(kRedriveCountHeader), std::to_string(count + 1)});
  return m;
}

namespace {

// Deliveries handed over from the bus thread to the redriving thread.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Delivery> deliveries;
};

}  // namespace

Result<RedriveReport> redrive(Subscriber& subscriber, Publisher& publisher,
                              const RedriveOptions& options) {
  const bool single = options.offset.has_value();
  SubscribeOptions so;
  so.topics = {options.dlq_topic};
  // A single message is looked up from the start with a group of its own, whatever an earlier
  // "all" run committed.
  so.group = single ? options.dlq_topic + ".redrive." + new_event_id()
                    : (options.group.empty() ? options.dlq_topic + ".redrive" : options.group);
  so.start = StartFrom::kEarliest;
  auto inbox = std::make_shared<Inbox>();
  auto sub = subscriber.subscribe(std::move(so), [inbox](Delivery d) {
    {
      std::lock_guard lock(inbox->mu);
      inbox->deliveries.push_back(std::move(d));
    }
    inbox->cv.notify_one();
  });
  if (!sub) return std::unexpected(sub.error());

  RedriveReport report;
  Result<RedriveReport> outcome = report;
  bool found = false;
  for (;;) {
    std::unique_lock lock(inbox->mu);
    if (!inbox->cv.wait_for(lock, options.idle_timeout,
                            [&] { return !inbox->deliveries.empty(); })) {
      break;
    }
    Delivery d = std::move(inbox->deliveries.front());
    inbox->deliveries.pop_front();
    lock.unlock();
    const Message& m = d.message;
    if (single && (m.offset != *options.offset ||
                   (options.partition && m.partition != *options.partition))) {
      d.ack();
      continue;
    }
    auto next = prepare_redrive(m, options.max_redrives);
    if (!next) {
      d.ack();  // it stays in the DLQ; acking only moves this group past it
      ++report.refused;
      report.last_refusal = next.error().message();
      if (single) {
        outcome = std::unexpected(next.error());
        found = true;
        break;
      }
      continue;
    }
    if (auto published = publisher.publish(*next); !published) {
      d.nack();
      outcome = fail(published.error().code, "redrive to " + next->topic + ": " +
                                                 published.error().context);
      found = true;
      break;
    }
    d.ack();
    ++report.redriven;
    if (single) {
      found = true;
      break;
    }
  }
  (*sub)->close(std::chrono::milliseconds(0));
  if (single && !found) {
    return fail(ErrorCode::kNotFound, options.dlq_topic + ": no message at offset " +
                                          std::to_string(*options.offset));
  }
  if (outcome) outcome = report;
  return outcome;
}

}  // namespace velocity
