#include "toolkit/bus/kafka_conf.h"

#include <cstdlib>

namespace velocity {

std::string default_bootstrap_servers() {
  const char* env = std::getenv("VELOCITY_BROKERS");
  if (env != nullptr && *env != '\0') return env;
  return "127.0.0.1:9092";
}

namespace kafka_bus {

Result<void> set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string reason;
  if (conf.set(name, value, reason) != RdKafka::Conf::CONF_OK) {
    return fail(ErrorCode::kInvalidArgument, "librdkafka property " + name + "=" + value + ": " + reason);
  }
  return {};
}

Result<std::unique_ptr<RdKafka::Conf>> make_conf(const KafkaBusConfig& config,
                                                 const Properties& defaults) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  Properties all = defaults;
  all["bootstrap.servers"] = config.bootstrap_servers;
  all["client.id"] = config.client_id;
  for (const auto& [name, value] : config.properties) all[name] = value;
  for (const auto& [name, value] : all) {
    if (auto ok = set(*conf, name, value); !ok) return std::unexpected(ok.error());
  }
  return conf;
}

}  // namespace kafka_bus
}  // namespace velocity
