// The events Router with the inbox on KafkaBus against a velocity-broker child process: per-key
// order while different keys run concurrently, a failing key through the retry tiers into the
// dead-letter topic with its provenance while other keys keep flowing, redrive back to the
// original topic, and one effect for an event delivered twice.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "velocity/dead_letter.h"
#include "velocity/event.h"
#include "velocity/inbox.h"
#include "velocity/kafka_bus.h"
#include "velocity/router.h"
#include "velocity/store.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;
using testing::BrokerProcess;
using testing::TempDir;

struct Item {
  static constexpr std::string_view kType = "test.item.v1";
  std::string key;
  int64_t seq = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Item, key, seq)

constexpr std::string_view kSource = "/services/router-test";
constexpr std::string_view kSchema =
    "CREATE TABLE IF NOT EXISTS handled (n INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT, seq INTEGER, "
    "event_id TEXT)";

// Waits until `done()` holds, for at most `bound` (a guard against hangs, not a timing claim).
template <typename F>
bool eventually(F done, std::chrono::milliseconds bound = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

class ToolkitRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
    ASSERT_TRUE(broker) << broker.error().message();
    broker_ = std::move(*broker);
    KafkaBusConfig config;
    config.bootstrap_servers = broker_->bootstrap();
    config.client_id = "toolkit-router-test";
    auto bus = KafkaBus::connect(config);
    ASSERT_TRUE(bus) << bus.error().message();
    bus_ = std::move(*bus);

    auto dir = TempDir::create("velocity-router-test");
    ASSERT_TRUE(dir) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    auto db = Database::open(dir_->path() / "router.db");
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->execute_script(kSchema));
    auto inbox_store = make_inbox_store(*db_);
    ASSERT_TRUE(inbox_store) << inbox_store.error().message();
    inbox_store_ = std::move(*inbox_store);
    inbox_ = std::make_unique<Inbox>(*inbox_store_);
  }

  void TearDown() override {
    if (router_) router_->stop(5s);
    router_.reset();
    bus_.reset();
  }

  // Creates the topic, its retry topics and its DLQ, as a service does before it starts.
  void create_topics(const RouterOptions& options, int partitions) {
    std::vector<std::string> topics{options.topic, dead_letter_topic(options.topic)};
    for (size_t tier = 1; tier <= options.retry.tier_delays.size(); ++tier) {
      topics.push_back(retry_topic(options.topic, tier));
    }
    auto made = ensure_topics(broker_->bootstrap(), topics, partitions);
    ASSERT_TRUE(made) << made.error().message();
  }

  RouterOptions options(std::string topic) {
    RouterOptions o;
    o.topic = std::move(topic);
    o.group = "router-test";
    o.workers = 4;
    o.retry.in_place_attempts = 2;
    o.retry.initial_backoff = 5ms;
    o.retry.max_backoff = 20ms;
    o.retry.tier_delays = {100ms, 200ms};
    return o;
  }

  // The handler's effect: one row per handled event, written in the inbox's transaction.
  Handler record_in_inbox(std::function<Result<void>(const Item&)> before = nullptr) {
    return [this, before](const Event& event) -> Result<void> {
      auto item = decode<Item>(event);
      if (!item) return poison(item.error().message());
      if (before) {
        if (auto ok = before(*item); !ok) return ok;
      }
      auto outcome = inbox_->handle(std::string(kSource) + "/" + event.id, [&](Transaction& tx) -> Result<void> {
        auto inserted = tx.execute("INSERT INTO handled (key, seq, event_id) VALUES (?, ?, ?)", item->key,
                                   item->seq, event.id);
        if (!inserted) return std::unexpected(inserted.error());
        return {};
      });
      if (!outcome) return std::unexpected(outcome.error());
      if (*outcome == InboxOutcome::kDuplicate) duplicates_.fetch_add(1);
      return {};
    };
  }

  Event item_event(const std::string& key, int64_t seq) {
    return make_event(std::string(kSource), key, Item{key, seq});
  }

  void publish(const std::string& topic, const Event& event) {
    auto message = to_message(event, topic);
    ASSERT_TRUE(message) << message.error().message();
    auto published = bus_->publish(*message);
    ASSERT_TRUE(published) << published.error().message();
  }

  int64_t count(std::string_view sql, const std::string& arg) {
    auto tx = db_->begin();
    if (!tx) return -1;
    auto row = tx->query(sql, arg);
    if (!row) return -1;
    auto has = row->next();
    if (!has || !*has) return -1;
    return row->int64(0);
  }
  int64_t handled_for(const std::string& key) { return count("SELECT COUNT(*) FROM handled WHERE key = ?", key); }

  // The seqs of `key` in the order their effects committed.
  std::vector<int64_t> seqs_of(const std::string& key) {
    std::vector<int64_t> seqs;
    auto tx = db_->begin();
    if (!tx) return seqs;
    auto rows = tx->query("SELECT seq FROM handled WHERE key = ? ORDER BY n", key);
    if (!rows) return seqs;
    while (true) {
      auto has = rows->next();
      if (!has || !*has) break;
      seqs.push_back(rows->int64(0));
    }
    return seqs;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<KafkaBus> bus_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<InboxStore> inbox_store_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Router> router_;
  std::atomic<int> duplicates_{0};
};

TEST_F(ToolkitRouterTest, KeepsPerKeyOrderWhileOtherKeysRunConcurrently) {
  auto opts = options("tk.order");
  create_topics(opts, 4);
  constexpr int kKeys = 8;
  constexpr int kPerKey = 40;

  // The first event of "key-0" waits until other keys have had a whole key's worth of events
  // handled: that can only happen if they run while key-0's handler is still busy. Key-0's
  // later events queue behind it and must still come out in order.
  std::mutex mutex;
  std::condition_variable progressed;
  int others_handled = 0;
  std::atomic<bool> overlapped{false};
  router_ = std::make_unique<Router>(*bus_, *bus_, opts);
  router_->on(std::string(Item::kType), record_in_inbox([&](const Item& item) -> Result<void> {
    std::unique_lock lock(mutex);
    if (item.key == "key-0" && item.seq == 0) {
      if (progressed.wait_for(lock, 60s, [&] { return others_handled >= kPerKey; })) overlapped = true;
    } else if (item.key != "key-0") {
      ++others_handled;
      progressed.notify_all();
    }
    return {};
  }));
  ASSERT_TRUE(router_->start());

  for (int seq = 0; seq < kPerKey; ++seq) {
    for (int k = 0; k < kKeys; ++k) publish(opts.topic, item_event("key-" + std::to_string(k), seq));
  }

  ASSERT_TRUE(eventually([&] {
    for (int k = 0; k < kKeys; ++k) {
      if (handled_for("key-" + std::to_string(k)) < kPerKey) return false;
    }
    return true;
  }));
  EXPECT_TRUE(overlapped) << "other keys did not progress while key-0's handler was busy";
  std::vector<int64_t> in_order(kPerKey);
  for (int i = 0; i < kPerKey; ++i) in_order[i] = i;
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(seqs_of("key-" + std::to_string(k)), in_order) << "key-" << k;
  }
  EXPECT_EQ(duplicates_.load(), 0);
}

TEST_F(ToolkitRouterTest, AFailingKeyIsDeadLetteredWithProvenanceRedrivenAndHandledOnce) {
  auto opts = options("tk.fail");
  create_topics(opts, 2);
  std::atomic<bool> broken{true};
  std::atomic<int> bad_calls{0};
  router_ = std::make_unique<Router>(*bus_, *bus_, opts);
  router_->on(std::string(Item::kType), record_in_inbox([&](const Item& item) -> Result<void> {
    if (item.key != "bad") return {};
    bad_calls.fetch_add(1);
    if (broken) return fail(ErrorCode::kIo, "ledger unavailable for " + item.key);
    return {};
  }));
  ASSERT_TRUE(router_->start());

  const Event bad = item_event("bad", 0);
  publish(opts.topic, bad);
  for (int seq = 0; seq < 50; ++seq) publish(opts.topic, item_event("good-" + std::to_string(seq % 5), seq));

  // Other keys flow although "bad" keeps failing.
  ASSERT_TRUE(eventually([&] { return count("SELECT COUNT(*) FROM handled WHERE key LIKE ?", "good-%") == 50; }));

  // The dead letter arrives with full provenance after in-place attempts in every tier.
  std::mutex mutex;
  std::vector<Message> dead;
  SubscribeOptions dlq;
  dlq.topics = {dead_letter_topic(opts.topic)};
  dlq.group = "dlq-reader";
  auto reader = bus_->subscribe(dlq, [&](Delivery delivery) {
    {
      std::lock_guard lock(mutex);
      dead.push_back(delivery.message);
    }
    delivery.ack();
  });
  ASSERT_TRUE(reader) << reader.error().message();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return !dead.empty();
  }));
  (*reader)->close(5s);
  // The bus is at least once: a dead-letter publish repeated across a rebalance leaves copies
  // of the same event, which the redrive's consumers deduplicate through their inbox.
  for (const auto& copy : dead) EXPECT_EQ(copy.header(kCeId), bad.id);
  const Message letter = dead.front();
  EXPECT_EQ(letter.key, "bad");
  EXPECT_EQ(letter.header(kCeId), bad.id);
  EXPECT_EQ(letter.header(kOriginalTopicHeader), opts.topic);
  ASSERT_TRUE(letter.header(kOriginalPartitionHeader));
  ASSERT_TRUE(letter.header(kOriginalOffsetHeader));
  EXPECT_EQ(std::string(*letter.header(kOriginalOffsetHeader)), "0") << "the first message of its partition";
  const int expected_calls = opts.retry.in_place_attempts * static_cast<int>(1 + opts.retry.tier_delays.size());
  EXPECT_EQ(letter.header(kAttemptsHeader), std::to_string(expected_calls));
  EXPECT_GE(bad_calls.load(), expected_calls);
  ASSERT_TRUE(letter.header(kErrorHeader));
  EXPECT_NE(letter.header(kErrorHeader)->find("ledger unavailable for bad"), std::string_view::npos)
      << *letter.header(kErrorHeader);
  ASSERT_TRUE(letter.header(kFirstFailureHeader));
  ASSERT_TRUE(letter.header(kLastFailureHeader));
  auto first = parse_rfc3339(*letter.header(kFirstFailureHeader));
  auto last = parse_rfc3339(*letter.header(kLastFailureHeader));
  ASSERT_TRUE(first && last);
  EXPECT_LE(*first, *last);
  EXPECT_FALSE(letter.header(kRedriveCountHeader));
  EXPECT_FALSE(letter.header(kRetryDueHeader));
  EXPECT_EQ(handled_for("bad"), 0);

  // Fixed handler, redrive: handled exactly once.
  broken = false;
  RedriveOptions redrive_options;
  redrive_options.dlq_topic = dead_letter_topic(opts.topic);
  redrive_options.partition = letter.partition;
  redrive_options.offset = letter.offset;
  auto report = redrive(*bus_, *bus_, redrive_options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->redriven, 1u);
  ASSERT_TRUE(eventually([&] { return handled_for("bad") == 1; }));

  // Then a sentinel of the same key: once it is handled, everything before it on the key was.
  publish(opts.topic, item_event("bad", 1));
  ASSERT_TRUE(eventually([&] { return handled_for("bad") == 2; }));
  EXPECT_EQ(seqs_of("bad"), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(duplicates_.load(), 0);
}

TEST_F(ToolkitRouterTest, AnEventDeliveredTwiceHasOneEffect) {
  auto opts = options("tk.twice");
  create_topics(opts, 2);
  router_ = std::make_unique<Router>(*bus_, *bus_, opts);
  router_->on(std::string(Item::kType), record_in_inbox());
  ASSERT_TRUE(router_->start());

  const Event once = item_event("acct-1", 0);
  publish(opts.topic, once);
  publish(opts.topic, once);  // the same CloudEvent id again, as a retried publish would
  publish(opts.topic, item_event("acct-1", 1));  // same key, so handled after both copies

  ASSERT_TRUE(eventually([&] { return count("SELECT COUNT(*) FROM handled WHERE seq = 1 AND key = ?", "acct-1") == 1; }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM handled WHERE event_id = ?", once.id), 1);
  EXPECT_EQ(seqs_of("acct-1"), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(duplicates_.load(), 1);

  // A restarted router (same group, committed positions) does not see them again either.
  router_->stop(5s);
  router_ = std::make_unique<Router>(*bus_, *bus_, opts);
  router_->on(std::string(Item::kType), record_in_inbox());
  ASSERT_TRUE(router_->start());
  publish(opts.topic, once);
  publish(opts.topic, item_event("acct-1", 2));
  ASSERT_TRUE(eventually([&] { return handled_for("acct-1") == 3; }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM handled WHERE event_id = ?", once.id), 1);
  EXPECT_EQ(duplicates_.load(), 2);
}

}  // namespace
}  // namespace velocity
