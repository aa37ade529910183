// EventHub: the live-update fan-out behind GET /api/events. The gateway's consumer hands it
// every public event; the hub numbers each event about a customer with one gateway-wide
// increasing sequence, keeps the last few per customer (for Last-Event-ID resume) and queues
// the formatted Server-Sent Events frame to each of that customer's connected clients.
//
// Resume without gap or duplicate: attach() registers a client and copies the buffered frames
// after its Last-Event-ID into its queue under the same lock publish() takes, so every event is
// either replayed or delivered live, never both and never neither. When the frames after that
// id are no longer all buffered, the client gets one `resync` frame instead (its page reloads
// what it shows).
//
// Slow clients: each client's queue is bounded; a client that falls further behind is ended
// (`kSlow`) and its connection closed — it resumes with Last-Event-ID when it reconnects.
//
// Thread-safe; no sockets. Clients are shared with their connection, which takes frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "velocity/event.h"
#include "velocity/metrics.h"

namespace velocity::gateway {

using Frame = std::shared_ptr<const std::string>;

// The bytes of one event on the stream:
//   id: <seq>\nevent: <type>\ndata: {"id","type","subject","time","data"}\n\n
std::string format_sse_frame(uint64_t seq, const Event& event);

// One connected browser: a bounded queue of frames filled by the hub and drained by the
// connection's writer. Thread-safe.
class SseClient {
 public:
  enum class End { kNone, kSlow, kShutdown };
  struct Batch {
    std::vector<Frame> frames;
    End end = End::kNone;  // set once the stream must stop (after writing `frames`, for kShutdown)
  };

  explicit SseClient(std::string customer_id) : customer_id_(std::move(customer_id)) {}
  const std::string& customer_id() const { return customer_id_; }

  // Everything queued since the last take, and whether the stream has ended.
  Batch take();
  // Whether (and why) the stream has ended, without taking anything.
  End ended() const;

 private:
  friend class EventHub;
  // False (and the client ends as kSlow) when the queue is already at `limit`.
  bool push(Frame frame, size_t limit);
  void push_unbounded(Frame frame);
  void end(End reason);
  void wake();

  const std::string customer_id_;
  mutable std::mutex mutex_;
  std::deque<Frame> queue_;
  End end_ = End::kNone;
  std::function<void()> waker_;
};

struct HubOptions {
  size_t events_per_customer = 256;  // kept per customer for resume
  size_t buffered_customers = 1024;  // customers with a buffer, least recently active dropped first
  size_t client_queue = 512;         // frames a client may have waiting before it is ended as slow
  // The first sequence number. 0: microseconds since the epoch at construction, so ids keep
  // growing across restarts and an id from before a restart asks for a resync, not a replay.
  uint64_t first_seq = 0;
};

class EventHub {
 public:
  explicit EventHub(HubOptions options = {},
                    metrics::Registry& registry = metrics::default_registry());
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Takes one consumed event. Returns its sequence number, or nullopt when it is about no
  // customer (no string `customer_id` in its data), is a redelivery of a buffered event, or
  // has a type that cannot be written on the stream.
  std::optional<uint64_t> publish(const Event& event);

  // A new client of `customer_id`'s events. With `last_event_id`, its queue starts with the
  // buffered events after that id (or one `resync` frame when some of them are gone). After
  // close_all() the client starts ended. `waker` is called (from any thread, outside the hub's
  // lock) whenever the client has something to take; the writer wakes up from it.
  std::shared_ptr<SseClient> attach(const std::string& customer_id,
                                    std::optional<uint64_t> last_event_id,
                                    std::function<void()> waker = {});
  // Stops delivering to `client` (idempotent).
  void detach(const std::shared_ptr<SseClient>& client);
  // Ends every client (kShutdown) and every later attach: the gateway is stopping.
  void close_all();

  size_t clients() const;
  // Sequence number of the last published event (first_seq - 1 before any).
  uint64_t last_seq() const;
  // Events buffered for a customer (for tests and metrics).
  size_t buffered(const std::string& customer_id) const;

 private:
  struct Buffered {
    uint64_t seq = 0;
    std::string event_key;  // source + "/" + id: a redelivery is recognised by it
    Frame frame;
  };
  struct CustomerBuffer {
    std::deque<Buffered> events;
    uint64_t evicted_through = 0;  // highest sequence dropped from `events`
    std::list<std::string>::iterator lru;
  };

  Frame resync_frame_locked(std::string_view reason) const;
  void touch_locked(CustomerBuffer& buffer);
  void evict_customers_locked();

  const HubOptions options_;
  const uint64_t first_seq_;
  mutable std::mutex mutex_;
  uint64_t next_seq_;
  bool closed_ = false;
  std::unordered_map<std::string, CustomerBuffer> buffers_;
  std::list<std::string> lru_;              // most recently active customer first
  uint64_t evicted_customers_through_ = 0;  // highest sequence of any evicted customer buffer
  std::unordered_map<std::string, std::vector<std::shared_ptr<SseClient>>> clients_;
  size_t client_count_ = 0;

  metrics::Gauge& clients_gauge_;
  metrics::Counter& events_in_;
  metrics::Counter& fanned_out_;
  metrics::Counter& slow_ended_;
  metrics::Counter& resyncs_;
};

}  // namespace velocity::gateway
