// The transactional outbox across kill -9, against a real velocity-broker. A child process (this
// program run again with VELOCITY_FAULT_ROLE=service) is a velocity::Service on KafkaBus that
// commits orders and their OrderPlaced outbox rows. Its publisher is held, by the hook in this
// program (VELOCITY_FAULT_HOLD), either before the broker has the messages (the crash between
// the database commit and the publish) or after the broker acknowledged them but before the
// rows were marked published; the parent then kills the child with SIGKILL. A second child on
// the same database publishes what was left. An "inventory" consumer in the parent counts the
// messages on the broker and applies each event through an Inbox: each order's effect is seen
// exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "velocity/event.h"
#include "velocity/inbox.h"
#include "velocity/kafka_bus.h"
#include "velocity/service.h"
#include "velocity/store.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTopic = "fault.orders";
constexpr int kOrders = 3;

struct OrderPlaced {
  static constexpr std::string_view kType = "test.order.placed.v1";
  std::string order_id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderPlaced, order_id)

// --- The child: an orders service ------------------------------------------------------------

// Wraps the service's publisher. With a hold it reports 'H' on the signal pipe and blocks
// forever at that point of the first publish, so the parent kills it there.
class HoldingPublisher final : public Publisher {
 public:
  enum class Hold { kNone, kBeforePublish, kAfterPublish };
  HoldingPublisher(std::shared_ptr<KafkaBus> bus, Hold hold, int signal_fd)
      : bus_(std::move(bus)), hold_(hold), signal_fd_(signal_fd) {}

  using Publisher::publish;
  Result<void> publish(std::span<const Message> messages) override {
    if (hold_ == Hold::kBeforePublish) block();
    auto published = bus_->publish(messages);
    if (published && hold_ == Hold::kAfterPublish) block();
    return published;
  }
  void publish_async(Message message, std::function<void(Result<void>)> done) override {
    done(publish(std::span(&message, 1)));
  }
  Result<void> flush(std::chrono::milliseconds timeout) override { return bus_->flush(timeout); }

 private:
  [[noreturn]] void block() {
    const char held = 'H';
    if (::write(signal_fd_, &held, 1) != 1) std::_Exit(20);
    for (;;) ::pause();
  }
  std::shared_ptr<KafkaBus> bus_;
  Hold hold_;
  int signal_fd_;
};

// Runs as the child. The first run places the orders, reports 'C' once they are committed and
// is killed at the hold; a run without a hold places nothing and serves until SIGTERM.
int run_orders_service() {
  const char* hold_env = std::getenv("VELOCITY_FAULT_HOLD");
  const std::string hold_name = hold_env ? hold_env : "";
  const int signal_fd = std::atoi(std::getenv("VELOCITY_FAULT_SIGNAL_FD"));
  auto hold = HoldingPublisher::Hold::kNone;
  if (hold_name == "before_publish") hold = HoldingPublisher::Hold::kBeforePublish;
  if (hold_name == "after_publish") hold = HoldingPublisher::Hold::kAfterPublish;

  auto config = ServiceConfig::from_env("orders", "127.0.0.1:0");
  if (!config) return 10;
  config->outbox_poll = 20ms;
  config->shutdown_bound = 10s;
  KafkaBusConfig bus_config;
  bus_config.bootstrap_servers = config->brokers;
  bus_config.client_id = "fault-orders";
  auto bus = KafkaBus::connect(bus_config);
  if (!bus) return 11;
  std::shared_ptr<KafkaBus> shared_bus = std::move(*bus);
  auto service = Service::create(*config, std::make_shared<HoldingPublisher>(shared_bus, hold, signal_fd), shared_bus);
  if (!service) return 12;
  if (!(*service)->migrate("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, status TEXT NOT NULL)")) return 13;
  if (hold == HoldingPublisher::Hold::kNone) return (*service)->run();

  if (!(*service)->start()) return 14;
  for (int i = 0; i < kOrders; ++i) {
    const std::string id = "order-" + std::to_string(i);
    auto tx = (*service)->db().begin();
    if (!tx) return 15;
    if (!tx->execute("INSERT INTO orders (id, status) VALUES (?, 'placed')", id)) return 16;
    if (!(*service)->emit(*tx, kTopic, id, OrderPlaced{id})) return 17;
    if (!(*service)->commit(*tx)) return 18;
  }
  const char committed = 'C';
  if (::write(signal_fd, &committed, 1) != 1) return 19;
  for (;;) ::pause();
}

// --- The parent ------------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  int signal_fd = -1;  // read end of the child's signal pipe
};

Child spawn_service(const std::filesystem::path& data_dir, const std::string& brokers, const std::string& hold) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("VELOCITY_")) continue;
    env_strings.emplace_back(entry);
  }
  env_strings.push_back("VELOCITY_FAULT_ROLE=service");
  env_strings.push_back("VELOCITY_FAULT_HOLD=" + hold);
  env_strings.push_back("VELOCITY_FAULT_SIGNAL_FD=" + std::to_string(fds[1]));
  env_strings.push_back("VELOCITY_DATA_DIR=" + data_dir.string());
  env_strings.push_back("VELOCITY_BROKERS=" + brokers);
  env_strings.push_back("VELOCITY_TOPIC_PARTITIONS=1");
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  char exe[] = "/proc/self/exe";
  char* argv[] = {exe, nullptr};

  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ::execve(exe, argv, envp.data());
    std::_Exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads the child's reports until `wanted` holds; false if the child closed the pipe first.
bool wait_for_reports(int fd, std::string& seen, const std::function<bool(const std::string&)>& wanted) {
  while (!wanted(seen)) {
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return false;
    seen.push_back(c);
  }
  return true;
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

template <typename F>
bool eventually(F done, std::chrono::milliseconds bound = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// The inventory consumer: counts each event id as it arrives from the broker and applies it
// through its inbox (one "reserved" row per order).
class Inventory {
 public:
  static std::unique_ptr<Inventory> start(KafkaBus& bus, const std::filesystem::path& db_path) {
    auto self = std::unique_ptr<Inventory>(new Inventory());
    auto db = Database::open(db_path);
    if (!db) return nullptr;
    self->db_ = std::move(*db);
    if (!self->db_->execute_script("CREATE TABLE reserved (order_id TEXT NOT NULL)")) return nullptr;
    auto store = make_inbox_store(*self->db_);
    if (!store) return nullptr;
    self->inbox_store_ = std::move(*store);
    self->inbox_ = std::make_unique<Inbox>(*self->inbox_store_);
    SubscribeOptions options;
    options.topics = {std::string(kTopic)};
    options.group = "inventory";
    auto subscription = bus.subscribe(options, [raw = self.get()](Delivery delivery) {
      raw->deliver(delivery.message);
      delivery.ack();
    });
    if (!subscription) return nullptr;
    self->subscription_ = std::move(*subscription);
    return self;
  }
  ~Inventory() {
    if (subscription_) subscription_->close(5s);
  }

  std::map<std::string, int> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int received(const std::string& subject) {
    std::lock_guard lock(mutex_);
    return by_subject_[subject];
  }
  int64_t effects(const std::string& order_id) {
    auto tx = db_->begin();
    if (!tx) return -1;
    auto row = tx->query("SELECT COUNT(*) FROM reserved WHERE order_id = ?", order_id);
    if (!row) return -1;
    auto has = row->next();
    if (!has || !*has) return -1;
    return row->int64(0);
  }

 private:
  Inventory() = default;
  void deliver(const Message& message) {
    auto event = from_message(message);
    if (!event) return;
    {
      std::lock_guard lock(mutex_);
      ++received_[event->id];
      ++by_subject_[event->subject];
    }
    if (event->type != OrderPlaced::kType) return;
    auto order = decode<OrderPlaced>(*event);
    if (!order) return;
    auto handled = inbox_->handle(event->source + "/" + event->id, [&](Transaction& tx) -> Result<void> {
      auto inserted = tx.execute("INSERT INTO reserved (order_id) VALUES (?)", order->order_id);
      if (!inserted) return std::unexpected(inserted.error());
      return {};
    });
    (void)handled;
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<InboxStore> inbox_store_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Subscription> subscription_;
  std::mutex mutex_;
  std::map<std::string, int> received_;
  std::map<std::string, int> by_subject_;
};

struct Marker {
  static constexpr std::string_view kType = "test.marker.v1";
  std::string note;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Marker, note)

class OutboxBrokerKillTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OutboxBrokerKillTest, TheEventReachesTheBrokerAndHasOneEffectAfterKill9) {
  const std::string hold = GetParam();
  auto broker = testing::BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
  ASSERT_TRUE(broker) << broker.error().message();
  auto dir = testing::TempDir::create("velocity-outbox-kill");
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string brokers = (*broker)->bootstrap();
  ASSERT_TRUE(ensure_topics(brokers, {std::string(kTopic)}, 1));

  // 1. The service commits the orders, then is killed at the hold.
  Child first = spawn_service(dir->path() / "data", brokers, hold);
  ASSERT_GT(first.pid, 0);
  std::string reports;
  const bool held = wait_for_reports(first.signal_fd, reports, [](const std::string& seen) {
    return seen.find('C') != std::string::npos && seen.find('H') != std::string::npos;
  });
  ::kill(first.pid, SIGKILL);
  EXPECT_EQ(wait_exit(first.pid), 128 + SIGKILL);
  ::close(first.signal_fd);
  ASSERT_TRUE(held) << "the service exited before committing and reaching the hold; reports: " << reports;

  KafkaBusConfig bus_config;
  bus_config.bootstrap_servers = brokers;
  bus_config.client_id = "fault-inventory";
  auto bus = KafkaBus::connect(bus_config);
  ASSERT_TRUE(bus) << bus.error().message();
  auto inventory = Inventory::start(**bus, dir->path() / "inventory.db");
  ASSERT_TRUE(inventory);

  // 2. Restarted on the same database, its relay publishes what the crash left pending.
  Child second = spawn_service(dir->path() / "data", brokers, "");
  ASSERT_GT(second.pid, 0);
  const bool all_seen = eventually([&] {
    for (int i = 0; i < kOrders; ++i) {
      if (inventory->effects("order-" + std::to_string(i)) != 1) return false;
    }
    return true;
  });
  ::kill(second.pid, SIGTERM);
  EXPECT_EQ(wait_exit(second.pid), 0);
  ::close(second.signal_fd);
  ASSERT_TRUE(all_seen) << "not every order reached the inventory";

  // 3. A marker published after the service stopped: once the consumer has it, it has read
  // everything the service ever put on the (single-partition) topic.
  auto marker = to_message(make_event("/tests/fault", "marker", Marker{"end"}), std::string(kTopic));
  ASSERT_TRUE(marker);
  ASSERT_TRUE((*bus)->publish(*marker));
  ASSERT_TRUE(eventually([&] { return inventory->received("marker") == 1; }));

  const auto received = inventory->received();
  ASSERT_EQ(received.size(), static_cast<size_t>(kOrders) + 1) << "distinct events on the topic";
  int republished = 0;
  for (const auto& [id, copies] : received) {
    // Killed before the publish: each event is on the broker exactly once. Killed after the
    // broker acknowledged the held batch but before its rows were marked: the restart
    // republishes that batch (at least once), and the inbox turns the second copy into no
    // effect; rows committed after the held batch was read are published once.
    if (hold == "before_publish" || id == marker->header(kCeId)) {
      EXPECT_EQ(copies, 1) << id;
    } else {
      EXPECT_TRUE(copies == 1 || copies == 2) << id << ": " << copies;
      if (copies == 2) ++republished;
    }
  }
  if (hold == "after_publish") {
    EXPECT_GE(republished, 1) << "the held batch was not republished";
  }
  for (int i = 0; i < kOrders; ++i) EXPECT_EQ(inventory->effects("order-" + std::to_string(i)), 1) << i;

  // The state change was committed once, by the first process.
  inventory.reset();
  auto orders_db = Database::open(dir->path() / "data" / "orders" / "orders.db");
  ASSERT_TRUE(orders_db);
  auto tx = (*orders_db)->begin();
  ASSERT_TRUE(tx);
  auto rows = tx->query("SELECT COUNT(*) FROM orders WHERE status = 'placed'");
  ASSERT_TRUE(rows);
  ASSERT_TRUE(*rows->next());
  EXPECT_EQ(rows->int64(0), kOrders);
}

INSTANTIATE_TEST_SUITE_P(CrashPoints, OutboxBrokerKillTest, ::testing::Values("before_publish", "after_publish"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace velocity

int main(int argc, char** argv) {
  if (const char* role = std::getenv("VELOCITY_FAULT_ROLE"); role != nullptr && std::string_view(role) == "service") {
    return velocity::run_orders_service();
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
