// The router's batches, with a batch that keeps its effects in memory: what a batch commits,
// and what happens to its events when the commit fails.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "toolkit/events/fake_bus_test_util.h"
#include "velocity/router.h"

namespace velocity {
namespace {

using testing::FakeBus;
using namespace std::chrono_literals;

struct Step {
  static constexpr std::string_view kType = "test.step.v1";
  std::string key;
  int seq = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Step, key, seq)

Message step(const std::string& key, int seq) {
  return to_message(make_event("/test", key, Step{key, seq}), "steps").value();
}

// Effects a handler makes: inside a batch they wait for its commit, otherwise they are final.
struct Ledger {
  std::mutex mu;
  std::vector<std::string> committed;        // final effects, in commit order
  std::vector<std::string>* open = nullptr;  // the batch being run on the worker, if any
  int failing_commits = 0;                   // commits still to fail
  int commits = 0;
};

class LedgerBatch final : public HandlerBatch {
 public:
  explicit LedgerBatch(Ledger& ledger) : ledger_(ledger) {}
  Result<void> run(const Event& event, const Handler& handler) override {
    ledger_.open = &pending_;
    auto done = handler(event);
    ledger_.open = nullptr;
    return done;
  }
  Result<void> commit() override {
    std::lock_guard lock(ledger_.mu);
    if (ledger_.failing_commits > 0) {
      --ledger_.failing_commits;
      return fail(ErrorCode::kIo, "disk full");
    }
    ++ledger_.commits;
    ledger_.committed.insert(ledger_.committed.end(), pending_.begin(), pending_.end());
    return {};
  }

 private:
  Ledger& ledger_;
  std::vector<std::string> pending_;
};

// Counts the deliveries handed to the router, so a test knows when they wait in its queue.
class CountingSubscriber final : public Subscriber {
 public:
  explicit CountingSubscriber(Subscriber& inner) : inner_(inner) {}
  Result<std::unique_ptr<Subscription>> subscribe(SubscribeOptions options,
                                                  std::function<void(Delivery)> handler) override {
    return inner_.subscribe(std::move(options), [this, h = std::move(handler)](Delivery d) {
      h(std::move(d));
      queued.fetch_add(1);
    });
  }
  std::atomic<int> queued{0};

 private:
  Subscriber& inner_;
};

TEST(RouterBatch, EventsOfABatchWhoseCommitFailsAreHandledAgainOneByOneInOrder) {
  FakeBus bus;
  CountingSubscriber subscriber(bus);
  RouterOptions o;
  o.topic = "steps";
  o.group = "test";
  o.workers = 1;
  o.retry.in_place_attempts = 1;
  o.retry.tier_delays = {};
  Router router(subscriber, bus, o);
  Ledger ledger;
  ledger.failing_commits = 1;
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool gate_entered = false;
  bool gate_open = false;
  router.on<Step>([&](const Step& s) -> Result<void> {
    if (s.key == "gate") {
      std::unique_lock lock(gate_mu);
      gate_entered = true;
      gate_cv.notify_all();
      gate_cv.wait(lock, [&] { return gate_open; });
    }
    const std::string effect = s.key + "#" + std::to_string(s.seq);
    if (ledger.open) {
      ledger.open->push_back(effect);
    } else {
      std::lock_guard lock(ledger.mu);
      ledger.committed.push_back(effect);
    }
    return {};
  });
  router.batch_with([&]() -> Result<std::unique_ptr<HandlerBatch>> {
    return std::make_unique<LedgerBatch>(ledger);
  });
  ASSERT_TRUE(router.start());

  ASSERT_TRUE(bus.publish(step("gate", 0)));
  {
    std::unique_lock lock(gate_mu);
    ASSERT_TRUE(gate_cv.wait_for(lock, 10s, [&] { return gate_entered; }));
  }
  const std::vector<Message> steps{step("a", 1), step("b", 1), step("a", 2), step("b", 2),
                                   step("a", 3)};
  ASSERT_TRUE(bus.publish(steps));
  // Polled (the fake bus re-checks its waits only on its own events); the bound only keeps a
  // broken run finite.
  for (int i = 0; i < 10000 && subscriber.queued.load() < 6; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(subscriber.queued.load(), 6);
  {
    std::lock_guard lock(gate_mu);
    gate_open = true;
  }
  gate_cv.notify_all();

  ASSERT_TRUE(bus.wait_for_acks("test", "steps", 6));
  router.stop();
  std::lock_guard lock(ledger.mu);
  // Nothing of the failed batch remained; each event then ran alone, once, in arrival order.
  EXPECT_EQ(ledger.commits, 0);
  EXPECT_EQ(ledger.committed,
            (std::vector<std::string>{"gate#0", "a#1", "b#1", "a#2", "b#2", "a#3"}));
}

}  // namespace
}  // namespace velocity
