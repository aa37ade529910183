#include "gateway/event_hub.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace velocity::gateway {
namespace {

uint64_t clock_seq() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

bool writable_on_stream(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

std::string format_sse_frame(uint64_t seq, const Event& event) {
  const nlohmann::json data{{"id", event.id},
                            {"type", event.type},
                            {"subject", event.subject},
                            {"time", format_rfc3339(event.time)},
                            {"data", event.data}};
  // dump() escapes control characters, so the JSON is one line, as a data: field must be.
  std::string frame = "id: " + std::to_string(seq) + "\nevent: " + event.type + "\ndata: ";
  frame += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  frame += "\n\n";
  return frame;
}

// --- SseClient -------------------------------------------------------------------------------

SseClient::Batch SseClient::take() {
  std::lock_guard lock(mutex_);
  Batch batch;
  batch.frames.assign(std::make_move_iterator(queue_.begin()),
                      std::make_move_iterator(queue_.end()));
  queue_.clear();
  batch.end = end_;
  return batch;
}

SseClient::End SseClient::ended() const {
  std::lock_guard lock(mutex_);
  return end_;
}

bool SseClient::push(Frame frame, size_t limit) {
  std::lock_guard lock(mutex_);
  if (end_ != End::kNone) return false;
  if (queue_.size() >= limit) {
    // What it has not taken yet is dropped with it: it resumes from its last written id.
    end_ = End::kSlow;
    queue_.clear();
    return false;
  }
  queue_.push_back(std::move(frame));
  return true;
}

void SseClient::push_unbounded(Frame frame) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(frame));
}

void SseClient::end(End reason) {
  std::lock_guard lock(mutex_);
  if (end_ == End::kNone) end_ = reason;
}

void SseClient::wake() {
  if (waker_) waker_();
}

// --- EventHub --------------------------------------------------------------------------------

EventHub::EventHub(HubOptions options, metrics::Registry& registry)
    : options_(options),
      first_seq_(options.first_seq != 0 ? options.first_seq : clock_seq()),
      next_seq_(first_seq_),
      clients_gauge_(registry.gauge("gateway_sse_clients", "Connected Server-Sent Events clients")),
      events_in_(registry.counter("gateway_events_consumed_total",
                                  "Public events the gateway consumed that were about a customer")),
      fanned_out_(registry.counter(
          "gateway_events_fanned_out_total",
          "Event frames queued to Server-Sent Events clients (live and replayed)")),
      slow_ended_(
          registry.counter("gateway_sse_slow_clients_total",
                           "Server-Sent Events clients disconnected for falling too far behind")),
      resyncs_(
          registry.counter("gateway_sse_resyncs_total",
                           "Resumes whose missed events were no longer buffered (resync sent)")) {}

std::optional<uint64_t> EventHub::publish(const Event& event) {
  const auto it = event.data.find("customer_id");
  if (it == event.data.end() || !it->is_string()) return std::nullopt;
  const std::string customer_id = it->get<std::string>();
  if (customer_id.empty() || !writable_on_stream(event.type)) return std::nullopt;
  const std::string event_key = event.source + "/" + event.id;

  std::vector<std::shared_ptr<SseClient>> to_wake;
  uint64_t seq = 0;
  size_t delivered = 0;
  size_t slow = 0;
  {
    std::lock_guard lock(mutex_);
    auto [slot, created] = buffers_.try_emplace(customer_id);
    CustomerBuffer& buffer = slot->second;
    if (created) {
      lru_.push_front(customer_id);
      buffer.lru = lru_.begin();
      // Its earlier buffer may have been evicted: resuming from before that needs a resync.
      buffer.evicted_through = evicted_customers_through_;
    } else if (std::ranges::any_of(buffer.events,
                                   [&](const Buffered& b) { return b.event_key == event_key; })) {
      return std::nullopt;  // the bus delivered it again (at-least-once): it was sent already
    }
    seq = next_seq_++;
    auto frame = std::make_shared<const std::string>(format_sse_frame(seq, event));
    buffer.events.push_back(Buffered{seq, event_key, frame});
    while (buffer.events.size() > options_.events_per_customer) {
      buffer.evicted_through = buffer.events.front().seq;
      buffer.events.pop_front();
    }
    touch_locked(buffer);
    evict_customers_locked();

    if (auto c = clients_.find(customer_id); c != clients_.end()) {
      auto& list = c->second;
      for (auto client = list.begin(); client != list.end();) {
        if ((*client)->push(frame, options_.client_queue)) {
          ++delivered;
          to_wake.push_back(*client);
          ++client;
        } else {
          ++slow;
          to_wake.push_back(*client);
          client = list.erase(client);
          --client_count_;
        }
      }
      if (list.empty()) clients_.erase(c);
    }
  }
  events_in_.inc();
  if (delivered > 0) fanned_out_.inc(static_cast<double>(delivered));
  if (slow > 0) {
    slow_ended_.inc(static_cast<double>(slow));
    clients_gauge_.add(-static_cast<double>(slow));
  }
  for (const auto& client : to_wake) client->wake();
  return seq;
}

std::shared_ptr<SseClient> EventHub::attach(const std::string& customer_id,
                                            std::optional<uint64_t> last_event_id,
                                            std::function<void()> waker) {
  auto client = std::make_shared<SseClient>(customer_id);
  client->waker_ = std::move(waker);
  size_t replayed = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      client->end(SseClient::End::kShutdown);
      return client;
    }
    if (last_event_id) {
      const uint64_t last = *last_event_id;
      const auto buffer = buffers_.find(customer_id);
      std::string_view gap;
      if (last + 1 < first_seq_) {
        gap = "the id is from before this gateway started";
      } else if (last >= next_seq_) {
        gap = "the id was not issued by this gateway";
      } else if (buffer == buffers_.end() ? last < evicted_customers_through_
                                          : last < buffer->second.evicted_through) {
        gap = "some events after the id are no longer buffered";
      }
      if (!gap.empty()) {
        client->push_unbounded(resync_frame_locked(gap));
        resyncs_.inc();
      } else if (buffer != buffers_.end()) {
        const auto& events = buffer->second.events;
        auto after = std::upper_bound(events.begin(), events.end(), last,
                                      [](uint64_t id, const Buffered& b) { return id < b.seq; });
        for (; after != events.end(); ++after) {
          client->push_unbounded(after->frame);
          ++replayed;
        }
      }
    }
    clients_[customer_id].push_back(client);
    ++client_count_;
  }
  clients_gauge_.add(1);
  if (replayed > 0) fanned_out_.inc(static_cast<double>(replayed));
  return client;
}

void EventHub::detach(const std::shared_ptr<SseClient>& client) {
  bool removed = false;
  {
    std::lock_guard lock(mutex_);
    auto c = clients_.find(client->customer_id());
    if (c == clients_.end()) return;
    auto& list = c->second;
    if (auto at = std::ranges::find(list, client); at != list.end()) {
      list.erase(at);
      --client_count_;
      removed = true;
    }
    if (list.empty()) clients_.erase(c);
  }
  if (removed) clients_gauge_.add(-1);
}

void EventHub::close_all() {
  std::vector<std::shared_ptr<SseClient>> ended;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [customer, list] : clients_) {
      for (auto& client : list) ended.push_back(client);
    }
    clients_.clear();
    client_count_ = 0;
  }
  clients_gauge_.add(-static_cast<double>(ended.size()));
  for (const auto& client : ended) {
    client->end(SseClient::End::kShutdown);
    client->wake();
  }
}

size_t EventHub::clients() const {
  std::lock_guard lock(mutex_);
  return client_count_;
}

uint64_t EventHub::last_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

size_t EventHub::buffered(const std::string& customer_id) const {
  std::lock_guard lock(mutex_);
  const auto it = buffers_.find(customer_id);
  return it == buffers_.end() ? 0 : it->second.events.size();
}

Frame EventHub::resync_frame_locked(std::string_view reason) const {
  // The id moves the client past everything so far: after reloading its page it is current,
  // and a later reconnect resumes from here.
  const nlohmann::json data{{"reason", reason}};
  return std::make_shared<const std::string>("id: " + std::to_string(next_seq_ - 1) +
                                             "\nevent: resync\ndata: " + data.dump() + "\n\n");
}

void EventHub::touch_locked(CustomerBuffer& buffer) {
  if (buffer.lru != lru_.begin()) lru_.splice(lru_.begin(), lru_, buffer.lru);
}

void EventHub::evict_customers_locked() {
  while (buffers_.size() > options_.buffered_customers && !lru_.empty()) {
    const auto victim = buffers_.find(lru_.back());
    if (victim != buffers_.end()) {
      if (!victim->second.events.empty()) {
        evicted_customers_through_ =
            std::max(evicted_customers_through_, victim->second.events.back().seq);
      }
      evicted_customers_through_ =
          std::max(evicted_customers_through_, victim->second.evicted_through);
      buffers_.erase(victim);
    }
    lru_.pop_back();
  }
}

}  // namespace velocity::gateway
