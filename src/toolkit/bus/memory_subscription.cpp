// MemoryBus subscriptions: the group rebalance, ack/nack bookkeeping and the delivery loop.
#include <algorithm>
#include <exception>
#include <optional>
#include <set>
#include <thread>

#include "common/log.h"
#include "toolkit/bus/bus_metrics.h"
#include "toolkit/bus/memory_bus_state.h"

namespace velocity {

using memory_bus::Clock;
using memory_bus::Cursor;
using memory_bus::Member;
using memory_bus::TopicPartition;

void MemoryBus::State::rebalance(const std::string& group_name) {
  auto& group = groups[group_name];
  std::set<std::string> all_topics;
  for (const auto& m : group.members) all_topics.insert(m->topics.begin(), m->topics.end());

  std::map<uint64_t, std::set<TopicPartition>> wanted;
  for (const auto& t : all_topics) {
    std::vector<Member*> takers;
    for (const auto& m : group.members) {
      if (std::ranges::find(m->topics, t) != m->topics.end()) takers.push_back(m.get());
    }
    const auto partitions = static_cast<int32_t>(topic(t).size());
    for (int32_t p = 0; p < partitions; ++p) {
      wanted[takers[static_cast<size_t>(p) % takers.size()]->id].insert({t, p});
    }
  }

  for (const auto& m : group.members) {
    const auto& mine = wanted[m->id];
    // A partition that moves away loses its in-flight deliveries: their acks are ignored and
    // the new owner starts from the committed position, so unacked messages come again.
    std::erase_if(m->assigned, [&](const auto& entry) { return !mine.contains(entry.first); });
    for (const auto& tp : mine) {
      if (m->assigned.contains(tp)) continue;
      Cursor cursor;
      auto committed_it = group.committed.find(tp);
      if (committed_it != group.committed.end()) {
        cursor.next = committed_it->second;
      } else {
        cursor.next = m->start == StartFrom::kEarliest
                          ? 0
                          : static_cast<int64_t>(topic(tp.first)[static_cast<size_t>(tp.second)].size());
        // Recorded at once, so that "latest" means "latest when the group joined" for every
        // later member too.
        group.committed[tp] = cursor.next;
      }
      m->assigned.emplace(tp, std::move(cursor));
    }
  }
}

void MemoryBus::State::settle(uint64_t member_id, const TopicPartition& tp, int64_t offset,
                              uint64_t delivery_id, bool ack) {
  {
    std::lock_guard lock(mutex);
    auto m = members.find(member_id);
    if (m == members.end()) return;
    auto c = m->second->assigned.find(tp);
    if (c == m->second->assigned.end()) return;  // revoked meanwhile: the new owner redelivers
    Cursor& cursor = c->second;
    auto f = cursor.in_flight.find(offset);
    if (f == cursor.in_flight.end() || f->second.delivery_id != delivery_id || f->second.acked) {
      return;  // a second call, or a delivery made stale by an earlier nack
    }
    if (ack) {
      f->second.acked = true;
      // Commit only the contiguous acked prefix: a crash then redelivers from the first
      // unacked message, never skips it.
      std::optional<int64_t> commit;
      while (!cursor.in_flight.empty() && cursor.in_flight.begin()->second.acked) {
        commit = cursor.in_flight.begin()->first + 1;
        cursor.in_flight.erase(cursor.in_flight.begin());
      }
      if (commit) groups[m->second->group].committed[tp] = *commit;
    } else {
      // Kafka-style: this message and every later one of the partition come again.
      cursor.in_flight.erase(f, cursor.in_flight.end());
      cursor.next = offset;
      cursor.retry_at = Clock::now() + options.redelivery_delay;
    }
  }
  changed.notify_all();
}

namespace {

class MemorySubscription final : public Subscription {
 public:
  MemorySubscription(std::shared_ptr<MemoryBus::State> state, std::shared_ptr<Member> member,
                     std::function<void(Delivery)> handler)
      : state_(std::move(state)), member_(std::move(member)), handler_(std::move(handler)) {
    thread_ = std::thread([this] { run(); });
  }
  ~MemorySubscription() override { close(std::chrono::milliseconds(0)); }

  void close(std::chrono::milliseconds grace) override {
    {
      std::unique_lock lock(state_->mutex);
      if (closed_) return;
      closed_ = true;
      member_->stopping = true;
      state_->changed.notify_all();
      state_->changed.wait_until(lock, Clock::now() + grace,
                                 [&] { return member_->unacked() == 0; });
    }
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // closed from our own handler: the loop ends when it returns
    } else {
      thread_.join();
    }
    {
      std::lock_guard lock(state_->mutex);
      auto& group = state_->groups[member_->group];
      std::erase(group.members, member_);
      state_->members.erase(member_->id);
      member_->assigned.clear();
      state_->rebalance(member_->group);
    }
    state_->changed.notify_all();
  }

 private:
  // Picks the next deliverable message (round robin over partitions), or returns the time
  // the loop should wake up at if only nack delays hold messages back. Requires the mutex.
  std::optional<Delivery> next(std::optional<Clock::time_point>& wake_at) {
    Member& m = *member_;
    if (m.unacked() >= m.max_in_flight || m.assigned.empty()) return std::nullopt;
    const auto now = Clock::now();
    std::vector<std::pair<const TopicPartition, Cursor>*> cursors;
    for (auto& entry : m.assigned) cursors.push_back(&entry);
    for (size_t i = 0; i < cursors.size(); ++i) {
      auto& [tp, cursor] = *cursors[(m.next_pick + i) % cursors.size()];
      const auto& log = state_->topics[tp.first][static_cast<size_t>(tp.second)];
      if (cursor.next >= static_cast<int64_t>(log.size())) continue;
      if (cursor.retry_at > now) {
        wake_at = wake_at ? std::min(*wake_at, cursor.retry_at) : cursor.retry_at;
        continue;
      }
      m.next_pick = (m.next_pick + i + 1) % cursors.size();
      const int64_t offset = cursor.next++;
      const uint64_t id = state_->next_delivery_id++;
      cursor.in_flight[offset] = memory_bus::InFlight{id, false};
      std::weak_ptr<MemoryBus::State> weak = state_;
      auto settle = [weak, member_id = m.id, tp, offset, id](bool ack) {
        if (auto s = weak.lock()) s->settle(member_id, tp, offset, id, ack);
      };
      return Delivery{log[static_cast<size_t>(offset)], [settle] { settle(true); },
                      [settle] { settle(false); }};
    }
    return std::nullopt;
  }

  void run() {
    for (;;) {
      std::optional<Delivery> delivery;
      {
        std::unique_lock lock(state_->mutex);
        for (;;) {
          if (member_->stopping) return;
          std::optional<Clock::time_point> wake_at;
          delivery = next(wake_at);
          if (delivery) break;
          if (wake_at) {
            state_->changed.wait_until(lock, *wake_at);
          } else {
            state_->changed.wait(lock);
          }
        }
      }
      auto nack = delivery->nack;
      bus::count_delivered(delivery->message.topic);
      try {
        handler_(std::move(*delivery));
      } catch (const std::exception& e) {
        log::error("memory bus: handler threw: {}; message nacked", e.what());
        nack();
      }
    }
  }

  std::shared_ptr<MemoryBus::State> state_;
  std::shared_ptr<Member> member_;
  std::function<void(Delivery)> handler_;
  std::thread thread_;
  bool closed_ = false;  // guarded by state_->mutex
};

}  // namespace

std::unique_ptr<Subscription> start_memory_subscription(std::shared_ptr<MemoryBus::State> state,
                                                        std::shared_ptr<Member> member,
                                                        std::function<void(Delivery)> handler) {
  return std::make_unique<MemorySubscription>(std::move(state), std::move(member),
                                              std::move(handler));
}

}  // namespace velocity
