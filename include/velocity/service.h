// The runtime every service of the store is assembled from: one database (an embedded SQLite
// file, or PostgreSQL when VELOCITY_DATABASE_URL is set), an outbox and
// its relay, an inbox around every consumed event, durable saga timers, a JSON HTTP API on the
// same server as /healthz, /readyz and /metrics, and graceful shutdown on SIGTERM.
//
//   auto service = velocity::Service::create(velocity::ServiceConfig::from_env("orders", "127.0.0.1:8084"));
//   service->migrate(kSchema);
//   service->route("POST", "/api/orders/checkout", checkout);
//   service->on<PaymentAuthorized>("shop.payments", confirm);   // runs inside the inbox's transaction
//   return service->run();                                      // until SIGTERM
//
// Handlers write state and events in one transaction: `emit()` adds an event to the outbox in
// the caller's transaction, and the relay publishes it after the commit. A consumed event's
// handler runs inside the inbox transaction, so a redelivered event has no second effect.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "velocity/bus.h"
#include "velocity/config.h"
#include "velocity/event.h"
#include "velocity/ops_server.h"
#include "velocity/result.h"
#include "velocity/router.h"
#include "velocity/saga.h"
#include "velocity/store.h"

namespace velocity {

struct ServiceConfig {
  std::string name;                              // "orders": consumer group, event source, db name
  std::filesystem::path data_dir = "var";        // VELOCITY_DATA_DIR; the db is <data>/<name>/<name>.db
  // VELOCITY_DATABASE_URL: a PostgreSQL URL (postgresql://user@host:port/dbname, also
  // postgres://); the service's tables, outbox, inbox and sagas then live there instead of in the
  // SQLite file. Empty = the SQLite file.
  std::string database_url;
  config::Endpoint http{"127.0.0.1", 0};         // VELOCITY_HTTP_ADDR
  std::string brokers;                           // VELOCITY_BROKERS (default 127.0.0.1:9092)
  int topic_partitions = 4;                      // VELOCITY_TOPIC_PARTITIONS, for topics it creates
  Durability durability = Durability::kFull;     // VELOCITY_DB_DURABILITY: full | normal
  size_t http_threads = 4;                       // VELOCITY_HTTP_THREADS
  size_t workers = 4;                            // VELOCITY_WORKERS: handler threads per topic
  // Ready events a handler thread takes into one inbox transaction (one commit); 1 = no batches.
  // Never waited for: a batch is what is queued already, so a quiet service commits each event.
  size_t max_batch = 256;                        // VELOCITY_MAX_BATCH
  std::chrono::milliseconds shutdown_bound{15000};        // VELOCITY_SHUTDOWN_TIMEOUT
  std::chrono::milliseconds outbox_poll{100};              // VELOCITY_OUTBOX_POLL
  std::chrono::milliseconds timer_poll{200};               // VELOCITY_TIMER_POLL
  RetryPolicy retry;                             // VELOCITY_RETRY_DELAYS: "1s,10s,60s"
  // Several instances of one service share its database; only one of them should publish the
  // outbox and fire timers, so that rows keep their order and a timer fires once.
  bool run_relay = true;                         // VELOCITY_OUTBOX_RELAY
  bool run_timers = true;                        // VELOCITY_TIMERS

  // Reads every field from the environment; `default_http` is the service's usual address.
  [[nodiscard]] static Result<ServiceConfig> from_env(std::string name, std::string_view default_http,
                                                      const config::Env& env = config::Env());

  std::filesystem::path service_dir() const { return data_dir / name; }
  std::string source() const { return "/services/" + name; }
};

// JSON bodies and errors for API handlers.
ops::HttpResponse json_response(int status, const nlohmann::json& body);
// {"error": message, "field": field} — `field` names the offending input, omitted when empty.
ops::HttpResponse json_error(int status, std::string_view message, std::string_view field = {});
// The request's body as a JSON object, or a 400 response naming what is wrong.
[[nodiscard]] std::expected<nlohmann::json, ops::HttpResponse> json_body(const ops::HttpRequest& request);

// The header in which the gateway passes the authenticated customer, and the one proving that a
// request came through the gateway (its value is the shared edge key).
inline constexpr std::string_view kCustomerHeader = "x-velocity-customer";
inline constexpr std::string_view kEdgeKeyHeader = "x-velocity-edge-key";

// The shared secret between the gateway and the services: VELOCITY_EDGE_KEY, else the file
// <data>/edge.key, created with a random key by whichever process needs it first.
[[nodiscard]] Result<std::string> load_edge_key(const std::filesystem::path& data_dir,
                                                const config::Env& env = config::Env());

class Service {
 public:
  using TxHandler = std::function<Result<void>(Transaction&, const Event&)>;
  using TimerHandler = SagaStore::TimerHandler;

  // A service on Kafka (config.brokers), or on the given bus (tests use a MemoryBus).
  [[nodiscard]] static Result<std::unique_ptr<Service>> create(ServiceConfig config);
  [[nodiscard]] static Result<std::unique_ptr<Service>> create(ServiceConfig config,
                                                               std::shared_ptr<Publisher> publisher,
                                                               std::shared_ptr<Subscriber> subscriber);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const ServiceConfig& config() const;
  Database& db();
  SagaStore& sagas();
  Publisher& publisher();
  const std::string& edge_key() const;

  // Runs `sql` (idempotent DDL: CREATE TABLE IF NOT EXISTS ...) on the service's database.
  [[nodiscard]] Result<void> migrate(std::string_view sql);

  // --- Events out -------------------------------------------------------------------------
  // Adds `event` to the outbox inside `tx`; it is published after the transaction commits.
  [[nodiscard]] Result<void> emit(Transaction& tx, std::string_view topic, const Event& event);
  template <EventContract T>
  [[nodiscard]] Result<Event> emit(Transaction& tx, std::string_view topic, std::string subject,
                                   const T& value) {
    Event event = make_event(config().source(), std::move(subject), value, current_traceparent());
    if (auto added = emit(tx, topic, event); !added) return std::unexpected(added.error());
    return event;
  }
  // Commits `tx` and wakes the relay for the events it emitted.
  [[nodiscard]] Result<void> commit(Transaction& tx);

  // --- Events in --------------------------------------------------------------------------
  // Handles events of `type` on `topic` (consumer group = the service's name). The handler runs
  // inside the inbox transaction: its writes, its emitted events and "handled" commit together.
  // An error is retried (in place, then retry topics, then the DLQ); poison() goes to the DLQ.
  void on(std::string topic, std::string type, TxHandler handler);
  template <EventContract T, typename F>
  void on(std::string topic, F handler) {
    on(std::move(topic), std::string(T::kType),
       [h = std::move(handler)](Transaction& tx, const Event& event) -> Result<void> {
         auto value = decode<T>(event);
         if (!value) return poison(value.error().message());
         return h(tx, *value, event);
       });
  }

  // --- Timers -----------------------------------------------------------------------------
  // The handler of every due saga timer (schedule them with sagas().schedule in a transaction).
  void on_timer(TimerHandler handler);

  // --- HTTP -------------------------------------------------------------------------------
  void route(std::string method, std::string pattern, ops::RouteHandler handler);
  // The authenticated customer of a request that came through the gateway, or a 401 response.
  [[nodiscard]] std::expected<std::string, ops::HttpResponse> customer(const ops::HttpRequest& request) const;
  // Whether the request carries the edge key (came through the gateway or a trusted tool).
  bool from_edge(const ops::HttpRequest& request) const;

  // --- Life cycle -------------------------------------------------------------------------
  // Creates the topics it uses, then starts the HTTP server, the relay, timers and consumers.
  [[nodiscard]] Result<void> start();
  uint16_t http_port() const;
  // Stops consumers (finishing in-flight events), timers, flushes the outbox, stops HTTP.
  void stop();
  // start(), wait for SIGTERM/SIGINT, stop(); returns the process exit code.
  int run();

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  static std::optional<std::string> current_traceparent();
  std::unique_ptr<Impl> impl_;
};

// The main() of a service: builds the config from the environment, lets `setup` register
// schema, routes and handlers, then runs until SIGTERM. Errors are printed and exit non-zero.
int run_service(std::string name, std::string_view default_http,
                const std::function<Result<void>(Service&)>& setup);

}  // namespace velocity
