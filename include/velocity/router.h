// Router: consumes a topic through a Subscriber and hands each CloudEvent to the handler
// registered for its type, wrapped in middleware. A delivery is acked only after its handler
// returned success. Events with the same key are handled strictly in order, different keys
// concurrently on a small worker pool. Failures are retried in place with backoff, then through
// the retry topics `<topic>.retry.<n>` (which the router also consumes, each message waiting
// for its due time without holding up other keys), then dead-lettered to `<topic>.dlq` with
// provenance headers (dead_letter.h). Optionally several ready events are handled in one batch
// with one commit (batch_with). Register handlers, middleware and the batch before start();
// after that the router is thread-safe. The Subscriber and Publisher must outlive the router.
#pragma once

#include <chrono>
#include <exception>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "velocity/bus.h"
#include "velocity/event.h"
#include "velocity/result.h"

namespace velocity {

using Handler = std::function<Result<void>(const Event&)>;
// Wraps a handler: logging, metrics, tracing, inbox deduplication, ...
using Middleware = std::function<Handler(Handler)>;

// A handler error that retrying can never fix (a rule the event breaks, data that does not
// decode): the event goes to the dead-letter topic at once, without retries. Poison is the
// error code kInvalidArgument, whose meaning is exactly "can never succeed".
std::unexpected<Error> poison(std::string reason);
bool is_poison(const Error& error);

struct RetryPolicy {
  // Handler calls per delivery before the event moves on to the next retry tier (1 = no
  // in-place retry). The worker waits between calls, holding up the keys that share it, so
  // keep this short.
  int in_place_attempts = 3;
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{500};
  double backoff_multiplier = 2.0;
  // One retry topic per entry, `<topic>.retry.1` ... : how long after the failure the event is
  // handled again. Empty: failed events go straight to the dead-letter topic.
  std::vector<std::chrono::milliseconds> tier_delays{std::chrono::seconds(1),
                                                     std::chrono::seconds(10),
                                                     std::chrono::seconds(60)};
};

enum class UnknownTypePolicy {
  kDeadLetter,  // events of a type without a handler go to the DLQ (a topic's contract grew)
  kIgnore,      // ... or are acked and dropped (a consumer interested in a few types only)
};

struct RouterOptions {
  std::string topic;
  std::string group;
  StartFrom start = StartFrom::kEarliest;
  size_t workers = 4;
  // Per subscription (the topic and each retry topic): deliveries awaiting their handler
  // before the bus stops fetching — the router's backpressure.
  size_t max_in_flight = 1000;
  RetryPolicy retry;
  UnknownTypePolicy unknown_types = UnknownTypePolicy::kDeadLetter;
  // With batch_with(): at most this many events per batch (1 turns batching off).
  size_t max_batch = 256;
};

// Calls `call` (a handler, directly or through a batch) and turns an exception it throws into a
// kInternal error: a throwing handler fails its event like any other error, and the thread
// that called it keeps serving.
template <typename Call>
Result<void> call_guarded(Call&& call) {
  try {
    return std::forward<Call>(call)();
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, std::string("handler threw: ") + e.what());
  } catch (...) {
    return fail(ErrorCode::kInternal, "handler threw a non-exception");
  }
}

// Group commit: the effects of several handler calls made durable at once. The router opens a
// batch when a worker finds more than one event ready (never waiting for more), runs each
// event's handler through run(), then commit()s and acks the events only once that returned
// success. A failed run() must leave no effect of that event and keep the others' (a savepoint
// per event); the router then sends that event, and the events of its key after it in the
// batch, through the usual retries after the commit, so the order per key holds. A failed
// commit() must leave no effect at all: every event of the batch is handled again on its own.
// A batch is used by one worker thread, which calls the handler inside run() on that thread.
// The event and handler given to run() stay valid until commit() returns or the batch is
// destroyed, so a batch may run them again (e.g. to redo the batch after undoing it all).
class HandlerBatch {
 public:
  virtual ~HandlerBatch() = default;  // without commit(): every effect is undone
  [[nodiscard]] virtual Result<void> run(const Event& event, const Handler& handler) = 0;
  [[nodiscard]] virtual Result<void> commit() = 0;
};
using HandlerBatchFactory = std::function<Result<std::unique_ptr<HandlerBatch>>()>;

std::string retry_topic(const std::string& topic, size_t tier);  // "<topic>.retry.<tier>", 1-based
std::string dead_letter_topic(const std::string& topic);         // "<topic>.dlq"

class Router {
 public:
  Router(Subscriber& subscriber, Publisher& publisher, RouterOptions options);
  ~Router();  // stop()s with the default grace
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Handles events of `type`. A second handler for the same type replaces the first.
  void on(std::string type, Handler handler);

  // Handles events of contract T: `handler(const T&)` or `handler(const T&, const Event&)`
  // returning Result<void>. Data that does not decode as T is poison.
  template <EventContract T, typename F>
  void on(F handler) {
    on(std::string(T::kType), [h = std::move(handler)](const Event& event) -> Result<void> {
      auto value = decode<T>(event);
      if (!value) return poison(value.error().message());
      if constexpr (std::is_invocable_v<F&, const T&, const Event&>) {
        return h(*value, event);
      } else {
        return h(*value);
      }
    });
  }

  // Middleware registered first is outermost.
  void use(Middleware middleware);

  // Handles ready events in batches opened by `open` (see HandlerBatch), up to
  // options.max_batch at a time.
  void batch_with(HandlerBatchFactory open);

  // Subscribes to the topic and its retry topics and starts the workers.
  [[nodiscard]] Result<void> start();

  // Stops fetching, lets in-flight handlers finish (up to `grace` per subscription), commits
  // what was acked. Events not handled by then are redelivered later. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace velocity
