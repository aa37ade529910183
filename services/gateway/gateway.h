// Gateway: the store's only entry point for browsers. It serves the storefront's files,
// forwards /api/<service>/… to the owning service with the customer's verified identity,
// streams each customer's public events as Server-Sent Events, and answers /healthz, /readyz
// and /metrics itself. Boost.Beast over Asio on a few threads; every connection is one
// coroutine on its own strand.
//
//   auto gateway = Gateway::start(config, bus);   // bus: KafkaBus, or a MemoryBus in tests
//   ...
//   gateway->stop(std::chrono::seconds(10));
//
// Thread-safe. The subscriber and the registry must outlive the gateway.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "gateway/config.h"
#include "gateway/event_hub.h"
#include "velocity/bus.h"
#include "velocity/config.h"
#include "velocity/health.h"
#include "velocity/metrics.h"
#include "velocity/result.h"

namespace velocity::gateway {

class Gateway {
 public:
  // Loads the session public key and the edge key from config.data_dir (or the environment,
  // see shop/session_token.h and velocity/service.h), subscribes to the public topics through
  // `subscriber`, binds config.listen (port 0 picks a free one) and starts serving.
  [[nodiscard]] static Result<std::unique_ptr<Gateway>> start(
      GatewayConfig config, Subscriber& subscriber,
      metrics::Registry& registry = metrics::default_registry(),
      const config::Env& env = config::Env());
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  uint16_t port() const;
  EventHub& hub();
  const ops::Readiness& readiness() const;
  size_t open_connections() const;
  // The consumer group of its event feed: one of its own, `gateway-<random>`.
  const std::string& event_group() const;

  // Stops accepting, ends every event stream, gives requests in flight up to `grace` to
  // finish (idle keep-alive connections close at once), closes what is left, stops the
  // threads and leaves the consumer group. Idempotent.
  void stop(std::chrono::milliseconds grace);

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace velocity::gateway
