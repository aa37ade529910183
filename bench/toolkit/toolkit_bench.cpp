// velocity_toolkit_bench: events per second, and per core of CPU time this process used
// (getrusage), through a velocity::Service handler that runs the inbox, one domain write and
// one outbox row on SQLite — beside plain consumption (ack only) of the same events in the same
// run, on KafkaBus against a velocity-broker child process; and the same store work without the
// bus (store_only), to split the handler's cost. Then the resident memory (VmRSS) of
// an idle velocity-cart process started with an empty data directory, 5 s after it started.
//
//   velocity_toolkit_bench [events] [runs]      (defaults: 50000 events, 3 runs)
//
// Prints one line per run (with, per durability, the seconds to the first handled event and the
// mean events per inbox transaction) and the medians.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "velocity/event.h"
#include "velocity/inbox.h"
#include "velocity/kafka_bus.h"
#include "velocity/metrics.h"
#include "velocity/outbox.h"
#include "velocity/service.h"

namespace velocity {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Tick {
  static constexpr std::string_view kType = "bench.tick.v1";
  std::string key;
  int64_t seq = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Tick, key, seq)

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

struct Figure {
  double events_per_s = 0;
  double events_per_cpu_s = 0;
  double startup_s = 0;          // from start() to the first event handled (group joins)
  double events_per_commit = 0;  // mean events per batch commit (1 without batching)
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "velocity_toolkit_bench: %s\n", what.c_str());
  std::exit(1);
}

void publish_events(KafkaBus& bus, const std::string& topic, int events) {
  std::vector<Message> batch;
  for (int i = 0; i < events; ++i) {
    const std::string key = "k" + std::to_string(i % 64);
    auto message = to_message(make_event("/bench/producer", key, Tick{key, i}), topic);
    if (!message) die(message.error().message());
    batch.push_back(std::move(*message));
    if (batch.size() == 1000 || i + 1 == events) {
      if (auto ok = bus.publish(batch); !ok) die("publish: " + ok.error().message());
      batch.clear();
    }
  }
}

template <typename F>
void wait_until(F done, std::chrono::seconds bound) {
  const auto deadline = Clock::now() + bound;
  while (!done()) {
    if (Clock::now() > deadline) die("timed out waiting for the events");
    std::this_thread::sleep_for(1ms);
  }
}

Figure plain(KafkaBus& bus, const std::string& topic, int events, const std::string& group) {
  std::atomic<int> seen{0};
  SubscribeOptions options;
  options.topics = {topic};
  options.group = group;
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  auto subscription = bus.subscribe(options, [&](Delivery d) {
    d.ack();
    seen.fetch_add(1);
  });
  if (!subscription) die(subscription.error().message());
  wait_until([&] { return seen.load() >= events; }, 300s);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  (*subscription)->close(5s);
  return {events / wall, events / cpu};
}

Figure through_service(const std::string& brokers, const std::filesystem::path& data_dir, const std::string& topic,
                       int events, Durability durability, const std::string& name) {
  ServiceConfig config;
  config.name = name;
  config.data_dir = data_dir;
  config.brokers = brokers;
  config.durability = durability;
  config.outbox_poll = 20ms;
  auto service = Service::create(config);
  if (!service) die(service.error().message());
  if (!(*service)->migrate("CREATE TABLE IF NOT EXISTS ticks (key TEXT PRIMARY KEY, last_seq INTEGER, n INTEGER)")) {
    die("migrate");
  }
  std::atomic<int> handled{0};
  std::atomic<int64_t> first_handled_ns{0};
  Service& s = **service;
  const std::string out_topic = topic + ".out";
  s.on<Tick>(topic, [&](Transaction& tx, const Tick& tick, const Event&) -> Result<void> {
    auto wrote = tx.execute(
        "INSERT INTO ticks (key, last_seq, n) VALUES (?, ?, 1) "
        "ON CONFLICT(key) DO UPDATE SET last_seq = excluded.last_seq, n = n + 1",
        tick.key, tick.seq);
    if (!wrote) return std::unexpected(wrote.error());
    auto emitted = s.emit(tx, out_topic, tick.key, tick);
    if (!emitted) return std::unexpected(emitted.error());
    int64_t unset = 0;
    first_handled_ns.compare_exchange_strong(unset, Clock::now().time_since_epoch().count());
    handled.fetch_add(1);
    return {};
  });
  if (auto ok = ensure_topics(brokers, {out_topic}, 4); !ok) die(ok.error().message());
  // The router's series for the topic, which the normal and full runs share: read the change.
  auto& batches = metrics::default_registry().histogram("velocity_handler_batch_events", "", {{"topic", topic}});
  const auto batches_before = batches.snapshot();
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  if (auto started = s.start(); !started) die(started.error().message());
  wait_until([&] { return handled.load() >= events; }, 600s);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  s.stop();
  const Clock::time_point first{Clock::duration(first_handled_ns.load())};
  const auto batches_after = batches.snapshot();
  // Mean events per batch commit. (Not events / commits: after a rebalance the events that were
  // in flight are delivered again and go through a batch once more, the inbox dropping them.)
  const double in_batches = batches_after.sum - batches_before.sum;
  const double batch_commits = static_cast<double>(batches_after.count - batches_before.count);
  const double per_commit = batch_commits > 0 ? in_batches / batch_commits : 1;
  return {events / wall, events / cpu, std::chrono::duration<double>(first - t0).count(), per_commit};
}

// The service handler's store work without the bus, to split its cost: per event the inbox
// row, the upsert and the encoded outbox row through the toolkit's store API, 256 events per
// inbox transaction without savepoints (a service's largest batch while no event fails), then
// the relay's read and mark of the rows every 512 events. No consuming, no decoding of
// deliveries, no publishing.
Figure store_only(const std::filesystem::path& dir, int events, Durability durability) {
  std::filesystem::create_directories(dir);
  DatabaseOptions db_options;
  db_options.durability = durability;
  auto db = Database::open(dir / "store.db", db_options);
  if (!db) die(db.error().message());
  auto inbox_store = make_inbox_store(**db);
  auto outbox = make_outbox_store(**db);
  if (!inbox_store || !outbox) die("store_only: opening the stores");
  if (auto r = (*db)->execute_script("CREATE TABLE ticks (key TEXT PRIMARY KEY, last_seq INTEGER, n INTEGER)"); !r)
    die(r.error().message());
  Inbox inbox(**inbox_store);
  std::vector<Event> in;
  in.reserve(static_cast<size_t>(events));
  for (int i = 0; i < events; ++i) {
    const std::string key = "k" + std::to_string(i % 64);
    in.push_back(make_event("/bench/producer", key, Tick{key, i}));
  }
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  for (size_t i = 0; i < in.size();) {
    auto batch = inbox.begin_batch(BatchUndo::kBatch);  // as a service's batch runs while no event fails
    if (!batch) die(batch.error().message());
    for (const size_t end = std::min(in.size(), i + 256); i < end; ++i) {
      const Event& event = in[i];
      const auto tick = event.data.get<Tick>();
      auto handled = batch->handle(event.source + "/" + event.id, [&](Transaction& tx) -> Result<void> {
        auto wrote = tx.execute(
            "INSERT INTO ticks (key, last_seq, n) VALUES (?, ?, 1) "
            "ON CONFLICT(key) DO UPDATE SET last_seq = excluded.last_seq, n = n + 1",
            tick.key, tick.seq);
        if (!wrote) return std::unexpected(wrote.error());
        auto message = to_message(make_event("/bench/store", tick.key, tick), "bench.out");
        if (!message) return std::unexpected(message.error());
        auto added = (*outbox)->add(tx, *message, StoreClock::now());
        if (!added) return std::unexpected(added.error());
        return {};
      });
      if (!handled) die(handled.error().message());
    }
    if (auto c = batch->commit(); !c) die(c.error().message());
    if (i % 512 == 0 || i == in.size()) {
      auto rows = (*outbox)->pending(1000);
      if (!rows) die(rows.error().message());
      std::vector<int64_t> ids;
      for (const auto& row : *rows) ids.push_back(row.id);
      if (auto m = (*outbox)->mark_published(ids, StoreClock::now()); !m) die(m.error().message());
    }
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  return {events / wall, events / (cpu_seconds() - cpu0)};
}

// VmRSS in KiB of an idle velocity-cart, 5 s after it started with an empty data directory.
long idle_service_rss_kib(const std::string& brokers, const std::filesystem::path& data_dir) {
  std::filesystem::create_directories(data_dir);
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("VELOCITY_DATA_DIR", data_dir.c_str(), 1);
    setenv("VELOCITY_BROKERS", brokers.c_str(), 1);
    setenv("VELOCITY_HTTP_ADDR", "127.0.0.1:0", 1);
    execl(VELOCITY_CART_EXECUTABLE, VELOCITY_CART_EXECUTABLE, nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(5s);
  long rss = -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) rss = std::stol(line.substr(6));
  }
  kill(pid, SIGTERM);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  if (rss < 0) die("velocity-cart exited before 5 s");
  return rss;
}

// `only` names one measurement to run (plain, normal, full, store, idle), e.g. to profile it
// alone; the others then print 0. Empty runs them all.
int run(int events, int runs, const std::string& only) {
  const auto want = [&](std::string_view name) { return only.empty() || only == name; };
  auto broker = testing::BrokerProcess::start({"--group-initial-rebalance-delay-ms", "0"});
  if (!broker) die(broker.error().message());
  const std::string brokers = (*broker)->bootstrap();
  auto dir = testing::TempDir::create("velocity-toolkit-bench");
  if (!dir) die(dir.error().message());
  KafkaBusConfig bus_config;
  bus_config.bootstrap_servers = brokers;
  bus_config.client_id = "toolkit-bench";
  auto bus = KafkaBus::connect(bus_config);
  if (!bus) die(bus.error().message());

  std::vector<double> plain_rate, plain_core, normal_rate, normal_core, full_rate, full_core, store_core, rss_mib;
  for (int r = 0; r < runs; ++r) {
    const std::string topic = "bench.ticks." + std::to_string(r);
    if (auto ok = ensure_topics(brokers, {topic}, 4); !ok) die(ok.error().message());
    publish_events(**bus, topic, events);

    const Figure p = want("plain") ? plain(**bus, topic, events, "plain-" + std::to_string(r)) : Figure{};
    const Figure n = want("normal") ? through_service(brokers, dir->path() / ("normal-" + std::to_string(r)), topic,
                                                      events, Durability::kNormal, "normal" + std::to_string(r))
                                    : Figure{};
    const Figure f = want("full") ? through_service(brokers, dir->path() / ("full-" + std::to_string(r)), topic,
                                                    events, Durability::kFull, "full" + std::to_string(r))
                                  : Figure{};
    const Figure st =
        want("store") ? store_only(dir->path() / ("store-" + std::to_string(r)), events, Durability::kNormal) : Figure{};
    const long rss = want("idle") ? idle_service_rss_kib(brokers, dir->path() / ("cart-" + std::to_string(r))) : 0;
    std::printf(
        "run=%d events=%d plain_events_per_s=%.0f plain_events_per_core=%.0f "
        "service_normal_events_per_s=%.0f service_normal_events_per_core=%.0f "
        "service_full_events_per_s=%.0f service_full_events_per_core=%.0f store_only_events_per_core=%.0f "
        "idle_cart_rss_mib=%.1f normal_startup_s=%.1f normal_events_per_commit=%.1f full_startup_s=%.1f "
        "full_events_per_commit=%.1f\n",
        r + 1, events, p.events_per_s, p.events_per_cpu_s, n.events_per_s, n.events_per_cpu_s, f.events_per_s,
        f.events_per_cpu_s, st.events_per_cpu_s, rss / 1024.0, n.startup_s, n.events_per_commit, f.startup_s,
        f.events_per_commit);
    std::fflush(stdout);
    plain_rate.push_back(p.events_per_s);
    plain_core.push_back(p.events_per_cpu_s);
    normal_rate.push_back(n.events_per_s);
    normal_core.push_back(n.events_per_cpu_s);
    full_rate.push_back(f.events_per_s);
    full_core.push_back(f.events_per_cpu_s);
    store_core.push_back(st.events_per_cpu_s);
    rss_mib.push_back(rss / 1024.0);
  }
  std::printf(
      "median runs=%d plain_events_per_s=%.0f plain_events_per_core=%.0f "
      "service_normal_events_per_s=%.0f service_normal_events_per_core=%.0f "
      "service_full_events_per_s=%.0f service_full_events_per_core=%.0f store_only_events_per_core=%.0f "
      "idle_cart_rss_mib=%.1f\n",
      runs, median(plain_rate), median(plain_core), median(normal_rate), median(normal_core), median(full_rate),
      median(full_core), median(store_core), median(rss_mib));
  return 0;
}

}  // namespace
}  // namespace velocity

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 50000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string only = argc > 3 ? argv[3] : "";
  if (events <= 0 || runs <= 0 ||
      !(only.empty() || only == "plain" || only == "normal" || only == "full" || only == "store" || only == "idle")) {
    std::fprintf(stderr, "usage: velocity_toolkit_bench [events] [runs] [plain|normal|full|store|idle]\n");
    return 2;
  }
  return velocity::run(events, runs, only);
}
