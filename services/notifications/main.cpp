// velocity-notifications. Unlike the other services' mains this one does not use
// velocity::run_service: the mail sender thread must stop after the service and before the
// service's database goes away, so the life cycle is spelled out here.
#include <iostream>

#include "notifications/notifications.h"
#include "velocity/logging.h"

int main() {
  constexpr std::string_view kName = "notifications";
  try {
    namespace config = velocity::config;
    auto log_options = config::required(velocity::ops::LogOptions::from_env(std::string(kName)));
    if (auto logging = velocity::ops::init_logging(log_options); !logging) {
      std::cerr << kName << ": " << logging.error().message() << '\n';
      return 2;
    }
    auto service_config = config::required(velocity::ServiceConfig::from_env(std::string(kName), "127.0.0.1:8088"));
    auto options = config::required(notifications::Options::from_env());

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
    const int code = (*service)->run();  // until SIGTERM; stops consumers, timers, relay, HTTP
    (*app)->stop();
    return code;
  } catch (const velocity::config::ConfigError& e) {
    std::cerr << kName << ": " << e.what() << '\n';
    return 2;
  }
}
