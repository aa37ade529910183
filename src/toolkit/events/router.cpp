#include "velocity/router.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "common/log.h"
#include "toolkit/events/delay_queue.h"
#include "toolkit/events/keyed_workers.h"
#include "toolkit/events/provenance.h"
#include "velocity/dead_letter.h"
#include "velocity/metrics.h"
#include "velocity/trace.h"

namespace velocity {

using std::chrono::system_clock;

std::unexpected<Error> poison(std::string reason) {
  return fail(ErrorCode::kInvalidArgument, "poison: " + std::move(reason));
}

bool is_poison(const Error& error) { return error.code == ErrorCode::kInvalidArgument; }

std::string retry_topic(const std::string& topic, size_t tier) {
  return topic + ".retry." + std::to_string(tier);
}

std::string dead_letter_topic(const std::string& topic) { return topic + ".dlq"; }

namespace {

// Labels for events that name no registered type: one fixed value each, so a topic carrying
// arbitrary types cannot grow the number of time series without bound.
constexpr std::string_view kUnknownTypeLabel = "unknown";
constexpr std::string_view kMalformedTypeLabel = "malformed";

// The router's series in the default registry, looked up once at start(): the registry takes
// a lock per lookup, and after start() these maps are only read.
struct RouterMetrics {
  std::unordered_map<std::string, std::unordered_map<std::string, metrics::Counter*>> consumed;
  std::unordered_map<std::string, metrics::Histogram*> handler_seconds;
  metrics::Counter* retries = nullptr;
  metrics::Counter* dead_letters = nullptr;
  metrics::Histogram* batch_events = nullptr;

  void init(const std::vector<std::string>& topics, const std::string& main_topic,
            const std::vector<std::string>& types) {
    auto& registry = metrics::default_registry();
    std::vector<std::string> labels = types;
    labels.emplace_back(kUnknownTypeLabel);
    labels.emplace_back(kMalformedTypeLabel);
    for (const auto& topic : topics) {
      for (const auto& type : labels) {
        consumed[topic][type] = &registry.counter("velocity_events_consumed_total",
                                                  "Events the router took off a topic",
                                                  {{"topic", topic}, {"type", type}});
      }
    }
    for (const auto& type : types) {
      handler_seconds[type] = &registry.histogram(
          "velocity_handler_seconds", "Duration of one handler call, in seconds", {{"type", type}});
    }
    retries = &registry.counter("velocity_handler_retries_total",
                                "Handler calls after an event's first: in place or from a retry topic",
                                {{"topic", main_topic}});
    dead_letters = &registry.counter("velocity_dead_letters_total",
                                     "Events published to the dead-letter topic", {{"topic", main_topic}});
    batch_events = &registry.histogram("velocity_handler_batch_events",
                                       "Events whose effects one batch commit made durable",
                                       {{"topic", main_topic}}, {1, 2, 4, 8, 16, 32, 64, 128, 256});
  }

  void count_consumed(const std::string& topic, std::string_view type) {
    const auto t = consumed.find(topic);
    if (t == consumed.end()) return;
    const auto c = t->second.find(std::string(type));
    if (c != t->second.end()) c->second->inc();
  }
};

}  // namespace

struct Router::Impl {
  Subscriber& subscriber;
  Publisher& publisher;
  RouterOptions options;
  std::unordered_map<std::string, Handler> handlers;
  std::vector<Middleware> middleware;
  std::unordered_map<std::string, size_t> tier_of_topic;  // topic → 0 (main) or 1..n

  std::vector<std::unique_ptr<Subscription>> subscriptions;
  HandlerBatchFactory open_batch;
  std::unique_ptr<events::KeyedWorkers<std::shared_ptr<Delivery>>> workers;
  std::unique_ptr<events::DelayQueue> delays;
  RouterMetrics meters;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;

  Impl(Subscriber& s, Publisher& p, RouterOptions o)
      : subscriber(s), publisher(p), options(std::move(o)) {}

  // An event ready for its handler.
  struct Prepared {
    Event event;
    const Handler* handler;
    size_t tier;
  };

  void on_delivery(Delivery delivery);
  void process_ready(std::vector<std::shared_ptr<Delivery>>& ready);
  void process_batch(std::vector<std::shared_ptr<Delivery>>& ready, HandlerBatch& batch);
  void process(Delivery& delivery);
  std::optional<Prepared> prepare(Delivery& delivery);
  void handle(Delivery& delivery, const Prepared& ready, int attempts, Error last);
  Result<void> call(const Handler& handler, const Event& event);
  Result<void> call_in(HandlerBatch& batch, const Handler& handler, const Event& event);
  bool wait_backoff(int failed_attempts);
  void move_on(Delivery& delivery, size_t tier, int attempts, const Error& error, bool poisoned);
};

Router::Router(Subscriber& subscriber, Publisher& publisher, RouterOptions options)
    : impl_(std::make_unique<Impl>(subscriber, publisher, std::move(options))) {}

Router::~Router() { stop(); }

void Router::on(std::string type, Handler handler) {
  impl_->handlers[std::move(type)] = std::move(handler);
}

void Router::use(Middleware middleware) { impl_->middleware.push_back(std::move(middleware)); }

void Router::batch_with(HandlerBatchFactory open) { impl_->open_batch = std::move(open); }

Result<void> Router::start() {
  Impl& im = *impl_;
  if (im.started) return fail(ErrorCode::kInvalidArgument, "router for " + im.options.topic + ": already started");
  if (im.options.topic.empty() || im.options.group.empty()) {
    return fail(ErrorCode::kInvalidArgument, "router: topic and group are required");
  }
  im.started = true;
  // Wrap once, innermost last, so the first middleware registered sees the event first.
  for (auto& [type, handler] : im.handlers) {
    for (auto it = im.middleware.rbegin(); it != im.middleware.rend(); ++it) handler = (*it)(handler);
  }
  std::vector<std::string> topics{im.options.topic};
  for (size_t tier = 1; tier <= im.options.retry.tier_delays.size(); ++tier) {
    topics.push_back(retry_topic(im.options.topic, tier));
  }
  for (size_t tier = 0; tier < topics.size(); ++tier) im.tier_of_topic[topics[tier]] = tier;
  std::vector<std::string> types;
  for (const auto& entry : im.handlers) types.push_back(entry.first);
  im.meters.init(topics, im.options.topic, types);
  const size_t max_batch = im.open_batch ? im.options.max_batch : 1;
  im.workers = std::make_unique<events::KeyedWorkers<std::shared_ptr<Delivery>>>(
      im.options.workers, max_batch, [&im](std::vector<std::shared_ptr<Delivery>>& ready) { im.process_ready(ready); });
  im.delays = std::make_unique<events::DelayQueue>();
  // One subscription per topic so events waiting in a retry tier never use up the main
  // topic's in-flight budget.
  for (const auto& topic : topics) {
    SubscribeOptions so;
    so.topics = {topic};
    so.group = im.options.group;
    so.start = im.options.start;
    so.max_in_flight = im.options.max_in_flight;
    auto sub = im.subscriber.subscribe(std::move(so), [&im](Delivery d) { im.on_delivery(std::move(d)); });
    if (!sub) {
      stop(std::chrono::milliseconds(0));
      return fail(sub.error().code, "router subscribing to " + topic + ": " + sub.error().context);
    }
    im.subscriptions.push_back(std::move(*sub));
  }
  return {};
}

void Router::stop(std::chrono::milliseconds grace) {
  Impl& im = *impl_;
  if (!im.started || im.stopped) return;
  im.stopped = true;
  {
    std::lock_guard lock(im.stop_mu);
    im.stopping = true;
  }
  im.stop_cv.notify_all();
  // Delayed retry events go back to the bus; the workers keep acking what they finish while
  // the subscriptions wait for outstanding acks.
  if (im.delays) im.delays->stop();
  for (auto& sub : im.subscriptions) sub->close(grace);
  if (im.workers) im.workers->stop();
  im.subscriptions.clear();
}

void Router::Impl::on_delivery(Delivery delivery) {
  const auto tier = tier_of_topic.find(delivery.message.topic);
  if (tier != tier_of_topic.end() && tier->second > 0) {
    const auto due_ms = events::integer_header(delivery.message, kRetryDueHeader).value_or(0);
    const system_clock::time_point due{std::chrono::milliseconds(due_ms)};
    if (due > system_clock::now()) {
      auto shared = std::make_shared<Delivery>(std::move(delivery));
      delays->schedule(
          due,
          [this, shared] {
            const std::string key = shared->message.key;
            workers->submit(key, shared);
          },
          [shared] { shared->nack(); });
      return;
    }
  }
  auto shared = std::make_shared<Delivery>(std::move(delivery));
  const std::string key = shared->message.key;
  workers->submit(key, std::move(shared));
}

Result<void> Router::Impl::call(const Handler& handler, const Event& event) {
  return call_guarded([&] { return handler(event); });
}

Result<void> Router::Impl::call_in(HandlerBatch& batch, const Handler& handler, const Event& event) {
  return call_guarded([&] { return batch.run(event, handler); });
}

bool Router::Impl::wait_backoff(int failed_attempts) {
  const auto& r = options.retry;
  const double factor = std::pow(std::max(1.0, r.backoff_multiplier), failed_attempts - 1);
  const auto wait = std::min<std::chrono::milliseconds>(
      r.max_backoff, std::chrono::milliseconds(static_cast<int64_t>(
                         static_cast<double>(r.initial_backoff.count()) * factor)));
  std::unique_lock lock(stop_mu);
  return !stop_cv.wait_for(lock, wait, [this] { return stopping.load(); });
}

void Router::Impl::process(Delivery& delivery) {
  // Everything done for this delivery, logs and what the handler publishes, belongs to the
  // trace the event came with (or a new one).
  trace::Scope scope(trace::continue_from(delivery.message));
  auto ready = prepare(delivery);
  if (ready) handle(delivery, *ready, 0, Error{ErrorCode::kInternal, ""});
}

std::optional<Router::Impl::Prepared> Router::Impl::prepare(Delivery& delivery) {
  const Message& message = delivery.message;
  const auto tier_it = tier_of_topic.find(message.topic);
  const size_t tier = tier_it == tier_of_topic.end() ? 0 : tier_it->second;
  auto event = from_message(message);
  if (!event) {
    meters.count_consumed(message.topic, kMalformedTypeLabel);
    log::warn("router {}: malformed event at {}/{}/{}: {}", options.topic, message.topic,
              message.partition, message.offset, event.error().message());
    move_on(delivery, tier, 0, event.error(), true);
    return std::nullopt;
  }
  const auto handler = handlers.find(event->type);
  if (handler == handlers.end()) {
    meters.count_consumed(message.topic, kUnknownTypeLabel);
    if (options.unknown_types == UnknownTypePolicy::kIgnore) {
      delivery.ack();
      return std::nullopt;
    }
    move_on(delivery, tier, 0,
            Error{ErrorCode::kNotFound, "no handler for event type " + event->type}, true);
    return std::nullopt;
  }
  meters.count_consumed(message.topic, event->type);
  return Prepared{std::move(*event), &handler->second, tier};
}

// `attempts` calls already failed (the last with `last`), e.g. once inside a batch.
void Router::Impl::handle(Delivery& delivery, const Prepared& ready, int attempts, Error last) {
  const Event& event = ready.event;
  metrics::Histogram& seconds = *meters.handler_seconds.at(event.type);
  const int max_attempts = std::max(1, options.retry.in_place_attempts);
  while (attempts < max_attempts && !(attempts > 0 && is_poison(last))) {
    if (attempts > 0 && !wait_backoff(attempts)) {
      delivery.nack();  // stopping: the bus hands it out again later
      return;
    }
    if (attempts > 0 || ready.tier > 0) meters.retries->inc();
    const auto call_start = std::chrono::steady_clock::now();
    auto result = call(*ready.handler, event);
    seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - call_start).count());
    ++attempts;
    if (result) {
      delivery.ack();
      return;
    }
    last = std::move(result.error());
  }
  log::warn("router {}: event {} ({}) failed {} time(s) at tier {}: {}", options.topic, event.id,
            event.type, attempts, ready.tier, last.message());
  move_on(delivery, ready.tier, attempts, last, is_poison(last));
}

void Router::Impl::process_ready(std::vector<std::shared_ptr<Delivery>>& ready) {
  // One event ready: no batch, so a lone event costs what it did before batching.
  if (ready.size() > 1 && open_batch) {
    Result<std::unique_ptr<HandlerBatch>> batch = fail(ErrorCode::kInternal, "no batch");
    try {
      batch = open_batch();
    } catch (const std::exception& e) {
      batch = fail(ErrorCode::kInternal, std::string("opening a batch threw: ") + e.what());
    }
    if (batch && *batch) {
      process_batch(ready, **batch);
      return;
    }
    log::warn("router {}: cannot open a batch, handling {} events one by one: {}", options.topic,
              ready.size(), batch ? std::string("no batch") : batch.error().message());
  }
  for (auto& delivery : ready) process(*delivery);
}

void Router::Impl::process_batch(std::vector<std::shared_ptr<Delivery>>& ready, HandlerBatch& batch) {
  enum class State { kSettled, kInBatch, kFailed, kHeld };
  struct Entry {
    Delivery* delivery;
    State state;
    std::optional<Prepared> prepared;
    Error error{ErrorCode::kInternal, ""};
  };
  std::vector<Entry> entries;
  entries.reserve(ready.size());
  // Keys with an event that failed in this batch: their later events wait for it, outside
  // the batch, so that one key's events are still handled in order.
  std::unordered_set<std::string> held;
  for (auto& shared : ready) {
    Delivery& delivery = *shared;
    if (held.contains(delivery.message.key)) {
      entries.push_back(Entry{&delivery, State::kHeld, std::nullopt});
      continue;
    }
    trace::Scope scope(trace::continue_from(delivery.message));
    auto prepared = prepare(delivery);
    if (!prepared) {
      // Settled already (no handler, malformed): acking a later offset first is safe, the bus
      // commits a partition's position only up to its first unacked message.
      entries.push_back(Entry{&delivery, State::kSettled, std::nullopt});
      continue;
    }
    if (prepared->tier > 0) meters.retries->inc();
    // The entry first: `entries` never reallocates (reserved), so the event and handler passed
    // to run() stay where they are until the commit, as HandlerBatch promises.
    Entry& entry = entries.emplace_back(Entry{&delivery, State::kInBatch, std::move(prepared)});
    const Prepared& ready_event = *entry.prepared;
    const auto call_start = std::chrono::steady_clock::now();
    auto result = call_in(batch, *ready_event.handler, ready_event.event);
    meters.handler_seconds.at(ready_event.event.type)
        ->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - call_start).count());
    if (!result) {
      held.insert(delivery.message.key);
      entry.state = State::kFailed;
      entry.error = std::move(result.error());
    }
  }
  Result<void> committed = fail(ErrorCode::kInternal, "no commit");
  try {
    committed = batch.commit();
  } catch (const std::exception& e) {
    committed = fail(ErrorCode::kInternal, std::string("batch commit threw: ") + e.what());
  }
  if (committed) {
    // Durable: now the positions may be committed.
    size_t in_batch = 0;
    for (auto& entry : entries) {
      if (entry.state != State::kInBatch) continue;
      entry.delivery->ack();
      ++in_batch;
    }
    meters.batch_events->observe(static_cast<double>(in_batch));
  } else {
    log::warn("router {}: a batch of {} events did not commit, handling them one by one: {}",
              options.topic, entries.size(), committed.error().message());
  }
  // In arrival order, so a key's held events follow its failed one.
  for (auto& entry : entries) {
    Delivery& delivery = *entry.delivery;
    switch (entry.state) {
      case State::kSettled:
        break;
      case State::kInBatch:
        if (!committed) {
          trace::Scope scope(trace::continue_from(delivery.message));
          handle(delivery, *entry.prepared, 0, Error{ErrorCode::kInternal, ""});
        }
        break;
      case State::kFailed: {
        trace::Scope scope(trace::continue_from(delivery.message));
        handle(delivery, *entry.prepared, 1, std::move(entry.error));
        break;
      }
      case State::kHeld:
        process(delivery);
        break;
    }
  }
}

void Router::Impl::move_on(Delivery& delivery, size_t tier, int attempts, const Error& error,
                           bool poisoned) {
  const auto now = system_clock::now();
  const auto provenance = events::after_failure(delivery.message, attempts, error, now);
  const auto& delays_per_tier = options.retry.tier_delays;
  Message next;
  const bool to_dead_letters = poisoned || tier >= delays_per_tier.size();
  if (!to_dead_letters) {
    const auto due = std::chrono::duration_cast<std::chrono::milliseconds>(
                         (now + delays_per_tier[tier]).time_since_epoch())
                         .count();
    next = events::with_provenance(delivery.message, provenance,
                                   retry_topic(options.topic, tier + 1), due);
  } else {
    next = events::with_provenance(delivery.message, provenance, dead_letter_topic(options.topic));
  }
  // Ack only once the event is durably on its next topic; if that fails, the bus redelivers
  // it and we try again rather than lose it.
  if (auto published = publisher.publish(next); !published) {
    log::error("router {}: cannot move event to {}: {}", options.topic, next.topic,
               published.error().message());
    delivery.nack();
    return;
  }
  if (to_dead_letters) meters.dead_letters->inc();
  delivery.ack();
}

}  // namespace velocity
