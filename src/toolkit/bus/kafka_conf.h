// Building librdkafka configurations for KafkaBus clients: our defaults first, then the
// caller's extra properties, which win. Stateless; safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafkacpp.h>

#include "velocity/kafka_bus.h"

namespace velocity::kafka_bus {

using Properties = std::map<std::string, std::string>;

// A global configuration with bootstrap.servers, client.id, `defaults`, then
// config.properties applied in that order.
[[nodiscard]] Result<std::unique_ptr<RdKafka::Conf>> make_conf(const KafkaBusConfig& config,
                                                               const Properties& defaults);

// Applies one property; the error names it and librdkafka's reason.
[[nodiscard]] Result<void> set(RdKafka::Conf& conf, const std::string& name,
                               const std::string& value);

}  // namespace velocity::kafka_bus
