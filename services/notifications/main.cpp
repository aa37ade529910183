// velocity-notifications. Unlike the other services' mains this one does not use
// velocity::run_service: the mail sender thread runs beside the service and must stop before
// it — so that the service's relay still publishes the last EmailSent events and its database
// outlives the sender — so the life cycle is spelled out here.
#include <iostream>

#include "common/log.h"
#include "notifications/notifications.h"
#include "velocity/logging.h"
#include "velocity/shutdown.h"

int main() {
  constexpr std::string_view kName = "notifications";
  try {
    namespace config = velocity::config;
    auto log_options = config::required(velocity::ops::LogOptions::from_env(std::string(kName)));
    if (auto logging = velocity::ops::init_logging(log_options); !logging) {
      std::cerr << kName << ": " << logging.error().message() << '\n';
      return 2;
    }
    auto service_config =
        config::required(velocity::ServiceConfig::from_env(std::string(kName), "127.0.0.1:8088"));
    auto options = config::required(notifications::Options::from_env());
    velocity::ops::ShutdownSignal signal(service_config.shutdown_bound);

    auto service = velocity::Service::create(std::move(service_config));
    if (!service) {
      std::cerr << kName << ": " << service.error().message() << '\n';
      return 1;
    }
    auto app = notifications::Notifications::install(**service, std::move(options));
    if (!app) {
      std::cerr << kName << ": " << app.error().message() << '\n';
      return 1;
    }
    if (auto started = (*app)->start(); !started) {
      std::cerr << kName << ": " << started.error().message() << '\n';
      return 1;
    }
    if (auto started = (*service)->start(); !started) {
      std::cerr << kName << ": " << started.error().message() << '\n';
      return 1;
    }
    const auto reason = signal.wait();
    velocity::log::info("{} stopping ({})", kName, reason);
    (*app)->stop();      // no delivery in flight from here on
    (*service)->stop();  // consumers, timers, HTTP; the relay flushes the last EmailSent events
    return 0;
  } catch (const velocity::config::ConfigError& e) {
    std::cerr << kName << ": " << e.what() << '\n';
    return 2;
  }
}
