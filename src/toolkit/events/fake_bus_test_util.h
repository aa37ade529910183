// FakeBus: a minimal in-process Publisher and Subscriber for the events tests — one partition
// per topic, committed positions per (group, topic), redelivery after nack, max_in_flight —
// plus waits on its state. Thread-safe. Tests only; services use velocity::MemoryBus.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "velocity/bus.h"

namespace velocity::testing {

class FakeBus : public Publisher, public Subscriber {
 public:
  Result<void> publish(std::span<const Message> messages) override {
    std::lock_guard lock(state_->mu);
    for (auto m : messages) {
      if (state_->failing_topics.contains(m.topic)) {
        return fail(ErrorCode::kIo, "fake bus: publishing to " + m.topic + " fails");
      }
      auto& log = state_->logs[m.topic];
      m.partition = 0;
      m.offset = static_cast<int64_t>(log.size());
      m.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      log.push_back(std::move(m));
    }
    state_->cv.notify_all();
    return {};
  }
  void publish_async(Message message, std::function<void(Result<void>)> done) override {
    done(publish(message));
  }
  Result<void> flush(std::chrono::milliseconds) override { return {}; }
  using Publisher::publish;

  Result<std::unique_ptr<Subscription>> subscribe(SubscribeOptions options,
                                                  std::function<void(Delivery)> handler) override {
    if (options.topics.size() != 1) return fail(ErrorCode::kUnsupported, "fake bus: one topic");
    return std::unique_ptr<Subscription>(
        new FakeSubscription(state_, std::move(options), std::move(handler)));
  }

  std::vector<Message> messages(const std::string& topic) const {
    std::lock_guard lock(state_->mu);
    auto it = state_->logs.find(topic);
    return it == state_->logs.end() ? std::vector<Message>{} : it->second;
  }
  std::set<int64_t> acked(const std::string& group, const std::string& topic) const {
    std::lock_guard lock(state_->mu);
    return state_->acked[{group, topic}];
  }
  size_t nacks() const {
    std::lock_guard lock(state_->mu);
    return state_->nacks;
  }
  void fail_publishes_to(const std::string& topic, bool failing) {
    std::lock_guard lock(state_->mu);
    if (failing) {
      state_->failing_topics.insert(topic);
    } else {
      state_->failing_topics.erase(topic);
    }
  }
  // Waits until `done()` holds (checked on every publish, ack and nack); false after `limit`,
  // which only guards against a hang — tests never rely on it elapsing.
  template <typename Pred>
  bool wait_until(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(20)) const {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, limit, [&] {
      lock.unlock();
      const bool ok = done();
      lock.lock();
      return ok;
    });
  }
  bool wait_for_messages(const std::string& topic, size_t count) const {
    return wait_until([&] { return messages(topic).size() >= count; });
  }
  bool wait_for_acks(const std::string& group, const std::string& topic, size_t count) const {
    return wait_until([&] { return acked(group, topic).size() >= count; });
  }

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, std::vector<Message>> logs;
    std::map<std::pair<std::string, std::string>, std::set<int64_t>> acked;
    std::set<std::string> failing_topics;
    size_t nacks = 0;
  };

  class FakeSubscription : public Subscription {
   public:
    FakeSubscription(std::shared_ptr<State> state, SubscribeOptions options,
                     std::function<void(Delivery)> handler)
        : sub_(std::make_shared<Sub>()) {
      sub_->state = std::move(state);
      sub_->options = std::move(options);
      std::lock_guard lock(sub_->state->mu);
      const auto& acked = sub_->state->acked[{sub_->options.group, sub_->options.topics[0]}];
      // Resume after the contiguous acked prefix, as a committed position would.
      int64_t next = 0;
      while (acked.contains(next)) ++next;
      if (next == 0 && sub_->options.start == StartFrom::kLatest) {
        next = static_cast<int64_t>(sub_->state->logs[sub_->options.topics[0]].size());
      }
      sub_->next = next;
      thread_ = std::thread([s = sub_, h = std::move(handler)] { run(s, h); });
    }
    ~FakeSubscription() override { close(std::chrono::milliseconds(0)); }
    void close(std::chrono::milliseconds grace) override {
      {
        std::unique_lock lock(sub_->state->mu);
        sub_->closed = true;
        sub_->state->cv.notify_all();
        sub_->state->cv.wait_for(lock, grace, [&] { return sub_->in_flight == 0; });
      }
      if (thread_.joinable()) thread_.join();
    }

   private:
    struct Sub {
      std::shared_ptr<State> state;
      SubscribeOptions options;
      int64_t next = 0;
      std::deque<Message> redeliver;
      size_t in_flight = 0;
      bool closed = false;
    };

    static void run(const std::shared_ptr<Sub>& s, const std::function<void(Delivery)>& handler) {
      const std::string& topic = s->options.topics[0];
      for (;;) {
        Message m;
        {
          std::unique_lock lock(s->state->mu);
          s->state->cv.wait(lock, [&] {
            return s->closed || (s->in_flight < s->options.max_in_flight &&
                                 (!s->redeliver.empty() ||
                                  s->next < static_cast<int64_t>(s->state->logs[topic].size())));
          });
          if (s->closed) return;
          if (!s->redeliver.empty()) {
            m = std::move(s->redeliver.front());
            s->redeliver.pop_front();
          } else {
            m = s->state->logs[topic][static_cast<size_t>(s->next++)];
          }
          ++s->in_flight;
        }
        auto done = std::make_shared<std::once_flag>();
        Delivery d;
        d.message = m;
        d.ack = [s, done, offset = m.offset] {
          std::call_once(*done, [&] {
            std::lock_guard lock(s->state->mu);
            s->state->acked[{s->options.group, s->options.topics[0]}].insert(offset);
            --s->in_flight;
            s->state->cv.notify_all();
          });
        };
        d.nack = [s, done, m] {
          std::call_once(*done, [&] {
            std::lock_guard lock(s->state->mu);
            ++s->state->nacks;
            s->redeliver.push_back(m);
            --s->in_flight;
            s->state->cv.notify_all();
          });
        };
        handler(std::move(d));
      }
    }

    std::shared_ptr<Sub> sub_;
    std::thread thread_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace velocity::testing
