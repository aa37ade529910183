// A Service handling several ready events in one inbox transaction, on the in-memory bus and a
// real SQLite database: a failing event is undone alone and takes the retry path, its key's
// later events wait for it, the others commit once, and a redelivered batch has no effect.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>

#include "toolkit/service/test_kit.h"
#include "velocity/dead_letter.h"
#include "velocity/memory_bus.h"
#include "velocity/metrics.h"
#include "velocity/service.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;
using velocity::testing::eventually;

struct Tick {
  static constexpr std::string_view kType = "test.tick.v1";
  std::string key;
  int seq = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Tick, key, seq)

constexpr const char* kTopic = "batched.ticks";

// Hands deliveries on to the router and counts them, so the test knows when events are
// queued behind a busy worker (and will be taken together as one batch).
class CountingSubscriber final : public Subscriber {
 public:
  explicit CountingSubscriber(std::shared_ptr<MemoryBus> bus) : bus_(std::move(bus)) {}
  Result<std::unique_ptr<Subscription>> subscribe(SubscribeOptions options,
                                                  std::function<void(Delivery)> handler) override {
    return bus_->subscribe(std::move(options), [this, h = std::move(handler)](Delivery d) {
      const bool main_topic = d.message.topic == kTopic;
      h(std::move(d));
      if (main_topic) queued.fetch_add(1);
    });
  }
  std::atomic<int> queued{0};

 private:
  std::shared_ptr<MemoryBus> bus_;
};

class ServiceBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("velocity-batch-" + std::to_string(std::random_device{}()));
    bus_ = std::make_shared<MemoryBus>();
    ASSERT_TRUE(bus_->create_topic(kTopic, 1));
    subscriber_ = std::make_shared<CountingSubscriber>(bus_);
    ServiceConfig config;
    config.name = "batcher";
    config.data_dir = dir_;
    config.outbox_poll = 20ms;
    config.shutdown_bound = 5s;
    config.workers = 1;  // one queue: everything published while the gate holds is one batch
    config.retry.in_place_attempts = 3;
    config.retry.initial_backoff = 1ms;
    config.retry.tier_delays = {};  // after the in-place attempts: the dead-letter topic
    auto service = Service::create(config, bus_, subscriber_);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ASSERT_TRUE(service_->migrate(
        "CREATE TABLE IF NOT EXISTS seen (key TEXT NOT NULL, seq INTEGER NOT NULL)"));
    service_->on<Tick>(kTopic,
                       [this](Transaction& tx, const Tick& tick, const Event&) -> Result<void> {
                         return handle(tx, tick);
                       });
  }
  void TearDown() override {
    release_gate();
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  Result<void> handle(Transaction& tx, const Tick& tick) {
    int call = 0;
    {
      std::unique_lock lock(mu_);
      call = ++calls_[tick.key + "#" + std::to_string(tick.seq)];
      if (tick.key == "gate") {
        gate_entered_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return gate_open_; });
      }
    }
    auto wrote = tx.execute("INSERT INTO seen (key, seq) VALUES (?, ?)", tick.key, tick.seq);
    if (!wrote) return std::unexpected(wrote.error());
    auto emitted = service_->emit(tx, std::string(kTopic) + ".out", tick.key, tick);
    if (!emitted) return std::unexpected(emitted.error());
    // Written, emitted, then failed: the undo must take all of it back.
    if (tick.key == "bad" && tick.seq == 1) return fail(ErrorCode::kTimeout, "bad#1 always fails");
    if (tick.key == "flaky" && tick.seq == 1 && call == 1)
      return fail(ErrorCode::kTimeout, "flaky#1 fails once");
    return {};
  }

  Message tick_message(const std::string& key, int seq) {
    auto message = to_message(make_event("/test", key, Tick{key, seq}), kTopic);
    EXPECT_TRUE(message);
    return *message;
  }

  // Publishes a gate event and waits until its handler holds the only worker.
  void close_gate(int seq) {
    {
      std::lock_guard lock(mu_);
      gate_entered_ = false;
      gate_open_ = false;
    }
    ASSERT_TRUE(bus_->publish(tick_message("gate", seq)));
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return gate_entered_; }));
  }
  void release_gate() {
    std::lock_guard lock(mu_);
    gate_open_ = true;
    cv_.notify_all();
  }

  int calls(const std::string& key, int seq) {
    std::lock_guard lock(mu_);
    return calls_[key + "#" + std::to_string(seq)];
  }

  // The seq of `key`'s rows in the order they were written.
  std::vector<int64_t> seen(const std::string& key) {
    auto tx = service_->db().begin();
    auto rows = tx->query("SELECT seq FROM seen WHERE key = ? ORDER BY rowid", key);
    std::vector<int64_t> seqs;
    while (rows && rows->next().value_or(false)) seqs.push_back(rows->int64(0));
    return seqs;
  }

  std::filesystem::path dir_;
  std::shared_ptr<MemoryBus> bus_;
  std::shared_ptr<CountingSubscriber> subscriber_;
  std::unique_ptr<Service> service_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> calls_;
  bool gate_entered_ = false;
  bool gate_open_ = false;
};

TEST_F(ServiceBatchTest, AFailingEventLeavesTheBatchCommittedOnceAndTakesTheRetryPathInKeyOrder) {
  auto& batches = metrics::default_registry().histogram("velocity_handler_batch_events", "",
                                                        {{"topic", kTopic}});
  const auto batches_before = batches.snapshot();
  ASSERT_TRUE(service_->start());
  close_gate(0);
  const std::vector<std::pair<std::string, int>> ticks{
      {"a", 1}, {"bad", 1}, {"a", 2}, {"flaky", 1}, {"bad", 2}, {"a", 3}, {"flaky", 2}};
  std::vector<Message> messages;
  for (const auto& [key, seq] : ticks) messages.push_back(tick_message(key, seq));
  ASSERT_TRUE(bus_->publish(messages));
  ASSERT_TRUE(
      eventually([&] { return subscriber_->queued.load() == 1 + static_cast<int>(ticks.size()); }));
  release_gate();

  ASSERT_TRUE(eventually([&] { return bus_->committed("batcher", kTopic, 0) == 8; }));
  // a's events went through the batch; bad#1 and flaky#1 failed in it, and the events of
  // their keys after them waited outside it, in order.
  EXPECT_EQ(seen("a"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(seen("flaky"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(seen("bad"), (std::vector<int64_t>{2}));
  // The batch ran without savepoints until bad#1 failed; then it was undone and a#1 ran again,
  // now in a savepoint of its own like every later event of the batch: its effect is once.
  EXPECT_EQ(calls("a", 1), 2);
  EXPECT_EQ(calls("a", 2), 1);
  EXPECT_EQ(calls("a", 3), 1);
  EXPECT_EQ(calls("flaky", 1), 2);  // failed in the batch, retried in place
  EXPECT_EQ(calls("flaky", 2), 1);
  EXPECT_EQ(calls("bad", 1), 3);  // every in-place attempt, then the dead-letter topic
  EXPECT_EQ(calls("bad", 2), 1);

  const auto dead = bus_->messages(dead_letter_topic(kTopic));
  ASSERT_EQ(dead.size(), 1u);
  auto dead_event = from_message(dead[0]);
  ASSERT_TRUE(dead_event);
  EXPECT_EQ(dead_event->data["key"], "bad");
  EXPECT_EQ(dead_event->data["seq"], 1);
  EXPECT_EQ(dead[0].header(kAttemptsHeader), "3");

  // One emitted event per handled event: none from the undone attempts.
  ASSERT_TRUE(eventually([&] { return bus_->messages(std::string(kTopic) + ".out").size() == 7; }));
  const auto after = batches.snapshot();
  EXPECT_EQ(after.count - batches_before.count, 1u);  // the gate ran alone; the rest was one batch
  EXPECT_EQ(after.sum - batches_before.sum, 3.0);     // ... that committed a#1, a#2, a#3

  // The same events delivered again as one batch (the offsets were lost in a crash after the
  // commit): every one is a duplicate, nothing runs, nothing is written or emitted.
  close_gate(1);
  std::vector<Message> again;
  for (size_t i = 0; i < ticks.size(); ++i) {
    if (ticks[i].first == "bad" && ticks[i].second == 1) continue;  // dead-lettered, never recorded
    again.push_back(messages[i]);
  }
  const int queued_before = subscriber_->queued.load();
  ASSERT_TRUE(bus_->publish(again));
  ASSERT_TRUE(eventually([&] {
    return subscriber_->queued.load() == queued_before + static_cast<int>(again.size());
  }));
  release_gate();
  ASSERT_TRUE(eventually([&] {
    return bus_->committed("batcher", kTopic, 0) == 9 + static_cast<int64_t>(again.size());
  }));
  EXPECT_EQ(seen("a"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(seen("flaky"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(seen("bad"), (std::vector<int64_t>{2}));
  EXPECT_EQ(calls("a", 1), 2);
  EXPECT_EQ(calls("flaky", 2), 1);
  EXPECT_EQ(calls("bad", 2), 1);
  const auto last = batches.snapshot();
  EXPECT_EQ(last.count - after.count, 1u);
  EXPECT_EQ(last.sum - after.sum, static_cast<double>(again.size()));
  service_->stop();
  EXPECT_EQ(bus_->messages(std::string(kTopic) + ".out").size(), 8u);  // 7 + the second gate
}

}  // namespace
}  // namespace velocity
