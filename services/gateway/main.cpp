// velocity-gateway: the store's edge server (see gateway.h and README.md). Configured from the
// environment; runs until SIGTERM or SIGINT, then stops gracefully within
// VELOCITY_SHUTDOWN_TIMEOUT.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "common/log.h"
#include "gateway/config.h"
#include "gateway/event_feed.h"
#include "gateway/gateway.h"
#include "velocity/kafka_bus.h"
#include "velocity/logging.h"
#include "velocity/shutdown.h"

namespace {

// Every event stream holds a socket: let the process use as many descriptors as it may.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main() {
  using namespace velocity;
  try {
    if (auto logging = ops::init_logging(config::required(ops::LogOptions::from_env("gateway")));
        !logging) {
      std::fprintf(stderr, "logging: %s\n", logging.error().message().c_str());
      return 2;
    }
    raise_descriptor_limit();
    auto config = config::required(gateway::GatewayConfig::from_env(VELOCITY_SOURCE_WEB_DIR));

    // The public topics must exist before the gateway subscribes; services create them too.
    if (auto topics =
            ensure_topics(config.brokers, gateway::public_topics(), config.topic_partitions);
        !topics) {
      log::error("topics on {}: {}", config.brokers, topics.error().message());
      return 1;
    }
    KafkaBusConfig bus_config;
    bus_config.bootstrap_servers = config.brokers;
    bus_config.client_id = "velocity-gateway";
    auto bus = KafkaBus::connect(bus_config);
    if (!bus) {
      log::error("bus: {}", bus.error().message());
      return 1;
    }

    const auto bound = config.shutdown_bound;
    const std::string brokers = config.brokers;
    ops::ShutdownSignal shutdown(bound + std::chrono::seconds(5));
    auto gateway = gateway::Gateway::start(std::move(config), **bus);
    if (!gateway) {
      log::error("{}", gateway.error().message());
      return 1;
    }
    shutdown.on_stop(
        "gateway",
        [&] {
          (*gateway)->stop(bound);
          // The group was the feed's alone and a restart starts a new one: leave nothing behind.
          if (auto deleted = delete_group(brokers, (*gateway)->event_group()); !deleted)
            log::warn("{}", deleted.error().message());
        },
        bound + std::chrono::seconds(8));
    const auto report = shutdown.wait_and_stop();
    return report.clean() ? 0 : 1;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "configuration: %s\n", e.what());
    return 2;
  }
}
