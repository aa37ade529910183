// The transactional outbox across kill -9. A child "orders service" commits an order and its
// OrderPlaced outbox row in one transaction; its relay reaches the bus and is held there until
// the parent kills the child with SIGKILL — either before the bus took the message (crash
// between commit and publish) or after the bus took it but before the row was marked (crash
// between ack and mark). A second child restarts the service and runs the relay to the end. The
// bus is a file; an "inventory" consumer reads it, delivers every event twice (at-least-once
// redelivery) through an Inbox, and must see each order's effect exactly once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "toolkit/store/store_test_util.h"
#include "velocity/inbox.h"
#include "velocity/outbox.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;

enum class CrashPoint { kBeforePublish, kAfterPublishBeforeMark };

// Appends each message as a line "key<TAB>ce_id<TAB>payload" and fsyncs before acking; with
// `hold` set, it reports on `signal_fd` and blocks forever at that point instead.
class FileBus : public Publisher {
 public:
  FileBus(std::filesystem::path path, std::optional<CrashPoint> hold, int signal_fd)
      : path_(std::move(path)), hold_(hold), signal_fd_(signal_fd) {}

  Result<void> publish(std::span<const Message> messages) override {
    if (hold_ == CrashPoint::kBeforePublish) block();
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return fail(ErrorCode::kIo, "open bus file");
    std::string lines;
    for (const auto& m : messages) {
      lines += m.key + "\t" + std::string(m.header("ce_id").value_or("")) + "\t" + m.payload + "\n";
    }
    bool ok = ::write(fd, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return fail(ErrorCode::kIo, "write bus file");
    if (hold_ == CrashPoint::kAfterPublishBeforeMark) block();
    return {};
  }
  void publish_async(Message message, std::function<void(Result<void>)> done) override {
    done(publish(std::span(&message, 1)));
  }
  Result<void> flush(std::chrono::milliseconds) override { return {}; }

 private:
  [[noreturn]] void block() {
    char held = 'H';
    if (::write(signal_fd_, &held, 1) != 1) _exit(20);
    for (;;) ::pause();
  }

  std::filesystem::path path_;
  std::optional<CrashPoint> hold_;
  int signal_fd_;
};

struct Paths {
  std::filesystem::path orders_db;
  std::filesystem::path bus;
  std::filesystem::path inventory_db;
};

// The orders service: places `orders` orders, each its own transaction, and reports 'C' after
// each commit. Its relay runs from the start; with a hold it never returns.
[[noreturn]] void run_service(const Paths& paths, std::optional<CrashPoint> hold, int orders, int signal_fd) {
  auto db = Database::open(paths.orders_db);
  if (!db) _exit(10);
  if (!(*db)->execute_script("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, status TEXT NOT NULL)")) _exit(11);
  auto outbox = make_outbox_store(**db);
  if (!outbox) _exit(12);
  FileBus bus(paths.bus, hold, signal_fd);
  OutboxRelayOptions options;
  options.poll_interval = 10ms;
  OutboxRelay relay(**outbox, bus, options);
  relay.start();
  for (int i = 0; i < orders; ++i) {
    std::string id = "o-" + std::to_string(i);
    auto tx = (*db)->begin();
    if (!tx) _exit(13);
    if (!tx->execute("INSERT INTO orders (id, status) VALUES (?, 'placed')", id)) _exit(14);
    Message placed{.topic = "shop.orders", .key = id, .payload = R"({"sku":"tshirt","quantity":1})"};
    placed.set_header("ce_id", "evt-placed-" + id);
    if (!(*outbox)->add(*tx, placed)) _exit(15);
    if (!tx->commit()) _exit(16);
    char committed = 'C';
    if (::write(signal_fd, &committed, 1) != 1) _exit(17);
    relay.notify();
  }
  if (hold) {
    for (;;) ::pause();
  }
  _exit(relay.stop(30s) ? 0 : 18);
}

pid_t fork_service(const Paths& paths, std::optional<CrashPoint> hold, int orders, int signal_fd) {
  pid_t pid = ::fork();
  if (pid == 0) run_service(paths, hold, orders, signal_fd);
  return pid;
}

std::vector<std::vector<std::string>> read_bus(const std::filesystem::path& path) {
  std::vector<std::vector<std::string>> events;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
    events.push_back(fields);
  }
  return events;
}

class OutboxKill9 : public ::testing::TestWithParam<CrashPoint> {};

TEST_P(OutboxKill9, EventCommittedBeforeTheCrashIsPublishedAfterRestartAndHasOneEffect) {
  testing::ScratchDir dir;
  Paths paths{dir.file("orders.sqlite"), dir.file("bus.log"), dir.file("inventory.sqlite")};
  constexpr int kOrders = 3;

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = fork_service(paths, GetParam(), kOrders, fds[1]);
  ASSERT_GT(child, 0);
  // Wait until the first commit happened and the relay is held at the bus: the crash window.
  bool committed = false;
  bool held = false;
  while (!committed || !held) {
    char c;
    ASSERT_EQ(::read(fds[0], &c, 1), 1) << "service child died early";
    committed |= c == 'C';
    held |= c == 'H';
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  auto before_restart = read_bus(paths.bus);
  if (GetParam() == CrashPoint::kBeforePublish) {
    EXPECT_TRUE(before_restart.empty());
  }

  // Restart: no new orders, the relay publishes what the crash left pending and stops.
  pid_t restarted = fork_service(paths, std::nullopt, 0, fds[1]);
  ASSERT_GT(restarted, 0);
  ASSERT_EQ(::waitpid(restarted, &status, 0), restarted);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "restarted service status " << status;
  ::close(fds[0]);
  ::close(fds[1]);

  // Every order that committed is on the bus, in order, at least once.
  auto db = Database::open(paths.orders_db);
  ASSERT_TRUE(db);
  std::vector<std::string> committed_orders;
  {
    auto tx = (*db)->begin();
    auto rows = tx->query("SELECT id FROM orders ORDER BY id");
    ASSERT_TRUE(rows);
    while (rows->next().value()) committed_orders.push_back(rows->text(0));
  }
  ASSERT_FALSE(committed_orders.empty());
  auto events = read_bus(paths.bus);
  std::vector<std::string> first_seen;
  for (const auto& e : events) {
    ASSERT_EQ(e.size(), 3u);
    if (std::find(first_seen.begin(), first_seen.end(), e[0]) == first_seen.end()) first_seen.push_back(e[0]);
  }
  EXPECT_EQ(first_seen, committed_orders);
  if (GetParam() == CrashPoint::kAfterPublishBeforeMark) {
    EXPECT_GT(events.size(), committed_orders.size()) << "the acked but unmarked event is published again";
  }

  // Inventory consumes every event twice through its inbox: one reservation per order.
  auto inventory = Database::open(paths.inventory_db);
  ASSERT_TRUE(inventory);
  ASSERT_TRUE((*inventory)->execute_script("CREATE TABLE reservations (order_id TEXT NOT NULL)"));
  auto inbox_store = make_inbox_store(**inventory);
  ASSERT_TRUE(inbox_store);
  Inbox inbox(**inbox_store);
  for (int delivery = 0; delivery < 2; ++delivery) {
    for (const auto& e : events) {
      auto outcome = inbox.handle(e[1], [&](Transaction& tx) -> Result<void> {
        auto r = tx.execute("INSERT INTO reservations (order_id) VALUES (?)", e[0]);
        if (!r) return std::unexpected(r.error());
        return {};
      });
      ASSERT_TRUE(outcome) << outcome.error().message();
    }
  }
  auto tx = (*inventory)->begin();
  auto rows = tx->query("SELECT order_id, COUNT(*) FROM reservations GROUP BY order_id ORDER BY order_id");
  ASSERT_TRUE(rows);
  std::vector<std::string> reserved;
  while (rows->next().value()) {
    reserved.push_back(rows->text(0));
    EXPECT_EQ(rows->int64(1), 1) << rows->text(0);
  }
  EXPECT_EQ(reserved, committed_orders);
}

INSTANTIATE_TEST_SUITE_P(CrashPoints, OutboxKill9,
                         ::testing::Values(CrashPoint::kBeforePublish, CrashPoint::kAfterPublishBeforeMark),
                         [](const auto& point) {
                           return point.param == CrashPoint::kBeforePublish ? std::string("BeforePublish")
                                                                            : std::string("AfterPublishBeforeMark");
                         });

}  // namespace
}  // namespace velocity
