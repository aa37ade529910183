// Process logging: one JSON object per line (time, level, service, message, and trace_id/span_id
// when a trace::Scope is active on the logging thread) for machines, or a human line for a
// terminal. Installs spdlog's default logger, so velocity::log::info etc. write through it.
// Thread-safe after init; call init_logging once at start-up.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "velocity/config.h"
#include "velocity/result.h"

namespace velocity::ops {

enum class LogFormat { kJson, kText };

struct LogOptions {
  std::string service;
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::kJson;

  // VELOCITY_LOG_FORMAT = json | text (default: text when stderr is a terminal, else json) and
  // VELOCITY_LOG_LEVEL (default info); a malformed value is an error naming the variable.
  [[nodiscard]] static Result<LogOptions> from_env(std::string service,
                                                   const config::Env& env = config::Env());
};

// The formatter of one format, for tests and for loggers with their own sinks.
std::unique_ptr<spdlog::formatter> make_log_formatter(const LogOptions& options);

// A synchronous logger writing to `sink` in the options' format and level.
[[nodiscard]] Result<std::shared_ptr<spdlog::logger>> make_logger(const LogOptions& options,
                                                                  spdlog::sink_ptr sink);

// Makes a stderr logger the process default.
[[nodiscard]] Result<void> init_logging(const LogOptions& options);

}  // namespace velocity::ops
