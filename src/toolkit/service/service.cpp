#include "velocity/service.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "common/log.h"
#include "velocity/health.h"
#include "velocity/inbox.h"
#include "velocity/kafka_bus.h"
#include "velocity/logging.h"
#include "velocity/outbox.h"
#include "velocity/shutdown.h"
#include "velocity/trace.h"

namespace velocity {
namespace {

Result<std::vector<std::chrono::milliseconds>> parse_delays(std::string_view text) {
  std::vector<std::chrono::milliseconds> delays;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string item(text.substr(0, comma));
    // Reuse the environment's duration syntax by looking the item up under a private name.
    config::Env one([&](std::string_view) { return std::optional<std::string>(item); });
    auto delay = one.duration("VELOCITY_RETRY_DELAYS", std::chrono::milliseconds(0));
    if (!delay) return std::unexpected(delay.error());
    delays.push_back(*delay);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return delays;
}

// The inbox batch open on this thread, if any. The router runs every handler of a batch on the
// thread that opened it, inside HandlerBatch::run, so the handler finds the batch here.
thread_local InboxBatch* current_batch = nullptr;

// A router batch over one inbox transaction, one commit for all its events; `committed` wakes
// the relay and timers. Events run without savepoints first (BatchUndo::kBatch: two statements
// fewer per event). When one fails, the whole transaction is undone and a new one, with a
// savepoint per event, runs again the events that had succeeded, so that only the failed
// event's effects are missing, as the router expects. Handlers are transactional, so running
// one again after its transaction was undone has one effect, as after any redelivery.
class InboxHandlerBatch final : public HandlerBatch {
 public:
  InboxHandlerBatch(Inbox& inbox, InboxBatch batch, std::function<void()> committed)
      : inbox_(inbox), batch_(std::move(batch)), committed_(std::move(committed)) {}

  Result<void> run(const Event& event, const Handler& handler) override {
    if (broken_) return std::unexpected(*broken_);
    if (per_event_) return run_in_batch(event, handler);
    Result<void> done;
    try {
      done = run_in_batch(event, handler);
    } catch (...) {
      redo_per_event();
      throw;
    }
    if (done) {
      ran_.emplace_back(&event, &handler);
    } else {
      redo_per_event();
    }
    return done;
  }

  Result<void> commit() override {
    if (broken_) return std::unexpected(*broken_);
    auto done = batch_->commit();
    if (done && batch_->handled() > 0) committed_();
    return done;
  }

 private:
  Result<void> run_in_batch(const Event& event, const Handler& handler) {
    InboxBatch* const outer = current_batch;
    current_batch = &*batch_;
    struct Restore {
      InboxBatch* outer;
      ~Restore() { current_batch = outer; }
    } restore{outer};
    return handler(event);
  }

  // Undoes the batch so far and runs its successful events again, each in a savepoint. If one
  // of them fails now, the batch is broken: commit() fails and the router handles every event
  // of the batch on its own.
  void redo_per_event() {
    per_event_ = true;
    batch_.reset();  // rolls back
    auto fresh = inbox_.begin_batch(BatchUndo::kEvent);
    if (!fresh) {
      broken_ = fresh.error();
      return;
    }
    batch_.emplace(std::move(*fresh));
    for (const auto& [event, handler] : ran_) {
      Result<void> again = call_guarded([&] { return run_in_batch(*event, *handler); });
      if (!again) {
        broken_ = Error{again.error().code, "batch: event " + event->id +
                                                " failed when run again after another event failed: " +
                                                again.error().context};
        return;
      }
    }
    ran_.clear();
  }

  Inbox& inbox_;
  std::optional<InboxBatch> batch_;
  std::function<void()> committed_;
  bool per_event_ = false;
  std::vector<std::pair<const Event*, const Handler*>> ran_;  // succeeded before any failure
  std::optional<Error> broken_;
};

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

}  // namespace

Result<ServiceConfig> ServiceConfig::from_env(std::string name, std::string_view default_http,
                                              const config::Env& env) {
  ServiceConfig c;
  c.name = std::move(name);
  auto data = env.string("VELOCITY_DATA_DIR", "var");
  if (!data) return std::unexpected(data.error());
  c.data_dir = *data;
  auto database_url = env.string("VELOCITY_DATABASE_URL", "");
  if (!database_url) return std::unexpected(database_url.error());
  if (!database_url->empty() && !database_url->starts_with("postgresql://") &&
      !database_url->starts_with("postgres://")) {
    // The value is not repeated: it may hold a password.
    return fail(ErrorCode::kInvalidArgument,
                "VELOCITY_DATABASE_URL: expected a PostgreSQL URL starting with postgresql:// or "
                "postgres:// (unset it to use the SQLite file)");
  }
  c.database_url = std::move(*database_url);
  auto http = env.endpoint("VELOCITY_HTTP_ADDR", default_http);
  if (!http) return std::unexpected(http.error());
  c.http = *http;
  auto brokers = env.string("VELOCITY_BROKERS", "127.0.0.1:9092");
  if (!brokers) return std::unexpected(brokers.error());
  c.brokers = *brokers;
  auto partitions = env.integer("VELOCITY_TOPIC_PARTITIONS", c.topic_partitions, 1, 1024);
  if (!partitions) return std::unexpected(partitions.error());
  c.topic_partitions = static_cast<int>(*partitions);
  auto durability = env.choice("VELOCITY_DB_DURABILITY", "full", {"full", "normal"});
  if (!durability) return std::unexpected(durability.error());
  c.durability = *durability == "full" ? Durability::kFull : Durability::kNormal;
  auto threads = env.integer("VELOCITY_HTTP_THREADS", static_cast<int64_t>(c.http_threads), 1, 256);
  if (!threads) return std::unexpected(threads.error());
  c.http_threads = static_cast<size_t>(*threads);
  auto workers = env.integer("VELOCITY_WORKERS", static_cast<int64_t>(c.workers), 1, 256);
  if (!workers) return std::unexpected(workers.error());
  c.workers = static_cast<size_t>(*workers);
  auto bound = env.duration("VELOCITY_SHUTDOWN_TIMEOUT", c.shutdown_bound);
  if (!bound) return std::unexpected(bound.error());
  c.shutdown_bound = *bound;
  auto outbox_poll = env.duration("VELOCITY_OUTBOX_POLL", c.outbox_poll);
  if (!outbox_poll) return std::unexpected(outbox_poll.error());
  c.outbox_poll = *outbox_poll;
  auto batch = env.integer("VELOCITY_MAX_BATCH", static_cast<int64_t>(c.max_batch), 1, 4096);
  if (!batch) return std::unexpected(batch.error());
  c.max_batch = static_cast<size_t>(*batch);
  auto timer_poll = env.duration("VELOCITY_TIMER_POLL", c.timer_poll);
  if (!timer_poll) return std::unexpected(timer_poll.error());
  c.timer_poll = *timer_poll;
  auto relay = env.boolean("VELOCITY_OUTBOX_RELAY", c.run_relay);
  if (!relay) return std::unexpected(relay.error());
  c.run_relay = *relay;
  auto timers = env.boolean("VELOCITY_TIMERS", c.run_timers);
  if (!timers) return std::unexpected(timers.error());
  c.run_timers = *timers;
  auto delays = env.string("VELOCITY_RETRY_DELAYS", "");
  if (!delays) return std::unexpected(delays.error());
  if (!delays->empty()) {
    auto parsed = parse_delays(*delays);
    if (!parsed) return std::unexpected(parsed.error());
    c.retry.tier_delays = std::move(*parsed);
  }
  return c;
}

ops::HttpResponse json_response(int status, const nlohmann::json& body) {
  return ops::HttpResponse{status, "application/json", body.dump(), {}};
}

ops::HttpResponse json_error(int status, std::string_view message, std::string_view field) {
  nlohmann::json body{{"error", message}};
  if (!field.empty()) body["field"] = field;
  return json_response(status, body);
}

std::expected<nlohmann::json, ops::HttpResponse> json_body(const ops::HttpRequest& request) {
  auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return std::unexpected(json_error(400, "the request body is not valid JSON"));
  if (!body.is_object()) return std::unexpected(json_error(400, "the request body must be a JSON object"));
  return body;
}

Result<std::string> load_edge_key(const std::filesystem::path& data_dir, const config::Env& env) {
  auto configured = env.string("VELOCITY_EDGE_KEY", "");
  if (!configured) return std::unexpected(configured.error());
  if (!configured->empty()) return *configured;
  if (sodium_init() < 0) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return fail(ErrorCode::kIo, "create " + data_dir.string() + ": " + ec.message());
  const auto path = data_dir / "edge.key";
  // Whoever creates the file first writes the key; everyone else reads it. The key is written
  // to a private temporary file and linked into place, so nobody ever reads half a key.
  if (!std::filesystem::exists(path)) {
    const auto temp = data_dir / ("edge.key." + random_hex(8));
    {
      std::ofstream out(temp, std::ios::trunc);
      out << random_hex(32) << '\n';
      if (!out) return fail(ErrorCode::kIo, "write " + temp.string());
    }
    std::filesystem::permissions(temp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 ec);
    if (::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
      std::filesystem::remove(temp, ec);
      return fail(ErrorCode::kIo, "create " + path.string() + ": " + std::strerror(errno));
    }
    std::filesystem::remove(temp, ec);
  }
  std::ifstream in(path);
  std::string key;
  if (!(in >> key) || key.size() < 32) return fail(ErrorCode::kCorrupt, path.string() + " holds no usable key");
  return key;
}

struct Service::Impl {
  ServiceConfig config;
  std::shared_ptr<Publisher> publisher;
  std::shared_ptr<Subscriber> subscriber;
  bool on_kafka = false;
  std::string edge_key;

  std::unique_ptr<Database> db;
  std::unique_ptr<OutboxStore> outbox;
  std::unique_ptr<OutboxRelay> relay;
  std::unique_ptr<InboxStore> inbox_store;
  std::unique_ptr<Inbox> inbox;
  std::unique_ptr<SagaStore> sagas;
  std::unique_ptr<SagaTimers> timers;
  TimerHandler timer_handler;

  std::map<std::string, std::vector<std::pair<std::string, TxHandler>>> handlers;  // by topic
  std::vector<std::unique_ptr<Router>> routers;
  std::vector<std::tuple<std::string, std::string, ops::RouteHandler>> routes;

  ops::Readiness readiness;
  std::shared_ptr<std::atomic<bool>> consuming;
  std::unique_ptr<ops::OpsServer> http;
  std::once_flag stopped;
  bool started = false;
};

Result<std::unique_ptr<Service>> Service::create(ServiceConfig config) {
  KafkaBusConfig bus_config;
  bus_config.bootstrap_servers = config.brokers;
  bus_config.client_id = config.name;
  auto bus = KafkaBus::connect(std::move(bus_config));
  if (!bus) return std::unexpected(bus.error());
  std::shared_ptr<KafkaBus> shared(std::move(*bus));
  auto service = create(std::move(config), shared, shared);
  if (service) (*service)->impl_->on_kafka = true;
  return service;
}

Result<std::unique_ptr<Service>> Service::create(ServiceConfig config, std::shared_ptr<Publisher> publisher,
                                                 std::shared_ptr<Subscriber> subscriber) {
  if (config.name.empty()) return fail(ErrorCode::kInvalidArgument, "service: a name is required");
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->publisher = std::move(publisher);
  impl->subscriber = std::move(subscriber);
  const auto dir = impl->config.service_dir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kIo, "service: create " + dir.string() + ": " + ec.message());

  auto key = load_edge_key(impl->config.data_dir);
  if (!key) return std::unexpected(key.error());
  impl->edge_key = std::move(*key);

  DatabaseOptions db_options;
  db_options.durability = impl->config.durability;
  auto db = impl->config.database_url.empty()
                ? Database::open(dir / (impl->config.name + ".db"), db_options)
                : Database::connect_postgres(impl->config.database_url, db_options);
  if (!db) {
    if (impl->config.database_url.empty()) return std::unexpected(db.error());
    return fail(db.error().code, "service " + impl->config.name +
                                     ": PostgreSQL database (VELOCITY_DATABASE_URL): " + db.error().message());
  }
  impl->db = std::move(*db);
  auto outbox = make_outbox_store(*impl->db);
  if (!outbox) return std::unexpected(outbox.error());
  impl->outbox = std::move(*outbox);
  auto inbox = make_inbox_store(*impl->db);
  if (!inbox) return std::unexpected(inbox.error());
  impl->inbox_store = std::move(*inbox);
  impl->inbox = std::make_unique<Inbox>(*impl->inbox_store);
  auto sagas = SagaStore::open(*impl->db);
  if (!sagas) return std::unexpected(sagas.error());
  impl->sagas = std::move(*sagas);

  OutboxRelayOptions relay_options;
  relay_options.poll_interval = impl->config.outbox_poll;
  impl->relay = std::make_unique<OutboxRelay>(*impl->outbox, *impl->publisher, relay_options);
  impl->consuming = impl->readiness.add_flag("consumers");
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
  stop();
}

const ServiceConfig& Service::config() const {
  return impl_->config;
}
Database& Service::db() {
  return *impl_->db;
}
SagaStore& Service::sagas() {
  return *impl_->sagas;
}
Publisher& Service::publisher() {
  return *impl_->publisher;
}
const std::string& Service::edge_key() const {
  return impl_->edge_key;
}

Result<void> Service::migrate(std::string_view sql) {
  return impl_->db->execute_script(sql);
}

std::optional<std::string> Service::current_traceparent() {
  const auto current = trace::current();
  return trace::format_traceparent(current ? trace::child_of(*current) : trace::new_root());
}

Result<void> Service::emit(Transaction& tx, std::string_view topic, const Event& event) {
  auto message = to_message(event, std::string(topic));
  if (!message) return std::unexpected(message.error());
  auto added = impl_->outbox->add(tx, *message);
  if (!added) return std::unexpected(added.error());
  return {};
}

Result<void> Service::commit(Transaction& tx) {
  auto committed = tx.commit();
  if (committed) {
    impl_->relay->notify();
    if (impl_->timers) impl_->timers->notify();  // a timer scheduled in `tx` may be due soon
  }
  return committed;
}

void Service::on(std::string topic, std::string type, TxHandler handler) {
  impl_->handlers[std::move(topic)].emplace_back(std::move(type), std::move(handler));
}

void Service::on_timer(TimerHandler handler) {
  impl_->timer_handler = std::move(handler);
}

void Service::route(std::string method, std::string pattern, ops::RouteHandler handler) {
  if (impl_->http) {
    impl_->http->add_route(std::move(method), std::move(pattern), std::move(handler));
  } else {
    impl_->routes.emplace_back(std::move(method), std::move(pattern), std::move(handler));
  }
}

bool Service::from_edge(const ops::HttpRequest& request) const {
  const auto key = request.header(kEdgeKeyHeader);
  return key && key->size() == impl_->edge_key.size() &&
         sodium_memcmp(key->data(), impl_->edge_key.data(), key->size()) == 0;
}

std::expected<std::string, ops::HttpResponse> Service::customer(const ops::HttpRequest& request) const {
  const auto id = request.header(kCustomerHeader);
  if (!id || id->empty() || !from_edge(request)) {
    return std::unexpected(json_error(401, "sign in first: this request carries no verified customer"));
  }
  return *id;
}

Result<void> Service::start() {
  auto& im = *impl_;
  if (im.started) return fail(ErrorCode::kInvalidArgument, "service " + im.config.name + " already started");
  im.started = true;

  if (im.on_kafka) {
    std::vector<std::string> topics;
    for (const auto& [topic, _] : im.handlers) {
      topics.push_back(topic);
      for (size_t tier = 1; tier <= im.config.retry.tier_delays.size(); ++tier)
        topics.push_back(retry_topic(topic, tier));
      topics.push_back(dead_letter_topic(topic));
    }
    if (auto made = ensure_topics(im.config.brokers, topics, im.config.topic_partitions); !made) {
      return fail(made.error().code, "service " + im.config.name + ": creating topics: " + made.error().message());
    }
  }

  im.readiness.add_check("database", [db = im.db.get()]() -> Result<void> {
    auto tx = db->begin();
    if (!tx) return std::unexpected(tx.error());
    auto row = tx->query("SELECT 1");
    if (!row) return std::unexpected(row.error());
    return {};
  });

  ops::OpsServerOptions http_options;
  http_options.bind = im.config.http;
  http_options.threads = im.config.http_threads;
  http_options.body_limit = 256 * 1024;
  http_options.max_connections = 1024;
  auto http = ops::OpsServer::start(http_options, im.readiness);
  if (!http) return fail(http.error().code, "service " + im.config.name + ": " + http.error().message());
  im.http = std::move(*http);
  for (auto& [method, pattern, handler] : im.routes) im.http->add_route(method, pattern, std::move(handler));
  im.routes.clear();

  if (im.config.run_relay) im.relay->start();
  if (im.timer_handler && im.config.run_timers) {
    SagaTimerOptions timer_options;
    timer_options.poll_interval = im.config.timer_poll;
    auto handler = [this, h = im.timer_handler](Transaction& tx, const SagaTimer& timer) -> Result<void> {
      auto done = h(tx, timer);
      impl_->relay->notify();
      return done;
    };
    im.timers = std::make_unique<SagaTimers>(*im.sagas, std::move(handler), timer_options);
    im.timers->start();
  }

  for (auto& [topic, typed] : im.handlers) {
    RouterOptions options;
    options.topic = topic;
    options.group = im.config.name;
    options.workers = im.config.workers;
    options.retry = im.config.retry;
    options.unknown_types = UnknownTypePolicy::kIgnore;
    options.max_batch = im.config.max_batch;
    auto router = std::make_unique<Router>(*im.subscriber, *im.publisher, options);
    router->batch_with([this]() -> Result<std::unique_ptr<HandlerBatch>> {
      auto batch = impl_->inbox->begin_batch(BatchUndo::kBatch);
      if (!batch) return std::unexpected(batch.error());
      return std::make_unique<InboxHandlerBatch>(*impl_->inbox, std::move(*batch), [this] {
        impl_->relay->notify();
        if (impl_->timers) impl_->timers->notify();
      });
    });
    for (auto& [type, handler] : typed) {
      router->on(type, [this, h = handler](const Event& event) -> Result<void> {
        const std::string event_id = event.source + "/" + event.id;
        const auto in_tx = [&](Transaction& tx) { return h(tx, event); };
        if (current_batch) {
          // Inside a batch: committed (and the relay woken) with the batch.
          auto outcome = current_batch->handle(event_id, in_tx);
          if (!outcome) return std::unexpected(outcome.error());
          return {};
        }
        auto outcome = impl_->inbox->handle(event_id, in_tx);
        if (!outcome) return std::unexpected(outcome.error());
        if (*outcome == InboxOutcome::kHandled) {
          impl_->relay->notify();
          if (impl_->timers) impl_->timers->notify();
        }
        return {};
      });
    }
    if (auto started = router->start(); !started) {
      return fail(started.error().code, "service " + im.config.name + ": consuming " + topic + ": " +
                                            started.error().message());
    }
    im.routers.push_back(std::move(router));
  }
  im.consuming->store(true);
  log::info("{} serving on {}:{}", im.config.name, im.config.http.host, im.http->port());
  return {};
}

uint16_t Service::http_port() const {
  return impl_->http ? impl_->http->port() : 0;
}

void Service::stop() {
  std::call_once(impl_->stopped, [this] {
    auto& im = *impl_;
    im.consuming->store(false);
    const auto grace = im.config.shutdown_bound / 2;
    for (auto& router : im.routers) router->stop(grace);
    im.routers.clear();
    if (im.timers) im.timers->stop();
    if (im.http) im.http->stop();
    if (!im.config.run_relay) {
      // Another instance publishes this database's outbox.
    } else if (auto flushed = im.relay->stop(im.config.shutdown_bound / 4); !flushed) {
      log::warn("{}: outbox not flushed on shutdown: {}", im.config.name, flushed.error().message());
    }
    if (auto flushed = im.publisher->flush(im.config.shutdown_bound / 4); !flushed) {
      log::warn("{}: publisher not flushed on shutdown: {}", im.config.name, flushed.error().message());
    }
  });
}

int Service::run() {
  ops::ShutdownSignal signal(impl_->config.shutdown_bound);
  if (auto started = start(); !started) {
    log::error("{}", started.error().message());
    return 1;
  }
  const auto reason = signal.wait();
  log::info("{} stopping ({})", impl_->config.name, reason);
  stop();
  return 0;
}

int run_service(std::string name, std::string_view default_http,
                const std::function<Result<void>(Service&)>& setup) {
  try {
    auto log_options = config::required(ops::LogOptions::from_env(name));
    if (auto logging = ops::init_logging(log_options); !logging) {
      std::cerr << name << ": " << logging.error().message() << '\n';
      return 2;
    }
    auto config = ServiceConfig::from_env(name, default_http);
    if (!config) {
      std::cerr << name << ": " << config.error().message() << '\n';
      return 2;
    }
    auto service = Service::create(std::move(*config));
    if (!service) {
      std::cerr << name << ": " << service.error().message() << '\n';
      return 1;
    }
    if (auto ready = setup(**service); !ready) {
      std::cerr << name << ": " << ready.error().message() << '\n';
      return 1;
    }
    return (*service)->run();
  } catch (const config::ConfigError& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return 2;
  }
}

}  // namespace velocity
