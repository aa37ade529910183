// The bus's series in the default metrics registry, shared by every backend: messages the bus
// durably accepted (produced) and messages handed to a subscription's handler (delivered),
// per topic. Thread-safe.
#pragma once

#include <string>

namespace velocity::bus {

void count_produced(const std::string& topic, double n = 1.0);
void count_delivered(const std::string& topic);

}  // namespace velocity::bus
