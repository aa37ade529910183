// Logging for every process: spdlog behind our own names, so call sites stay short and the
// backend could change. Thread-safe. Call log::init once at start-up.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace velocity::log {

// level: "trace", "debug", "info", "warn", "error"; name: the process, shown in each line.
void init(std::string_view process_name, std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace velocity::log
