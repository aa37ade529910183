#include "velocity/logging.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "velocity/trace.h"

namespace velocity::ops {
namespace {

const std::vector<std::string_view> kLevels = {"trace", "debug",    "info", "warn",
                                               "error", "critical", "off"};

// RFC 3339 in UTC with milliseconds: 2024-05-01T12:00:00.123Z.
std::string utc_time(spdlog::log_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  const size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", std::string_view(buffer, n), millis);
}

class JsonFormatter : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    // ordered_json keeps the fields in the documented order: time, level, service, message.
    nlohmann::ordered_json line{
        {"time", utc_time(msg.time)},
        // The names VELOCITY_LOG_LEVEL accepts ("warn", not spdlog's "warning").
        {"level", kLevels[static_cast<size_t>(msg.level)]},
        {"service", service_},
        {"message", std::string(msg.payload.data(), msg.payload.size())},
    };
    if (const auto trace = trace::current()) {
      line["trace_id"] = trace->trace_id_hex();
      line["span_id"] = trace->parent_id_hex();
    }
    // Invalid UTF-8 in a message must not lose the line: replace it instead of throwing.
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(service_);
  }

 private:
  std::string service_;
};

// %* in the text pattern: " trace=<id>" when a trace is current, nothing otherwise.
class TraceFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (const auto trace = trace::current()) {
      const std::string text = " trace=" + trace->trace_id_hex();
      dest.append(text.data(), text.data() + text.size());
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TraceFlag>();
  }
};

}  // namespace

Result<LogOptions> LogOptions::from_env(std::string service, const config::Env& env) {
  LogOptions options;
  options.service = std::move(service);
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  auto format = env.choice("VELOCITY_LOG_FORMAT", terminal ? "text" : "json", {"json", "text"});
  if (!format) return std::unexpected(format.error());
  options.format = *format == "json" ? LogFormat::kJson : LogFormat::kText;
  auto level = env.choice("VELOCITY_LOG_LEVEL", "info", kLevels);
  if (!level) return std::unexpected(level.error());
  options.level = *level;
  return options;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(const LogOptions& options) {
  if (options.format == LogFormat::kJson) return std::make_unique<JsonFormatter>(options.service);
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  // The service name is literal text in the pattern, so a '%' in it must be escaped.
  std::string service;
  for (char c : options.service) service += c == '%' ? "%%" : std::string(1, c);
  formatter->add_flag<TraceFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ " + service +
                                                  ": %v%*");
  return formatter;
}

Result<std::shared_ptr<spdlog::logger>> make_logger(const LogOptions& options,
                                                    spdlog::sink_ptr sink) {
  if (std::ranges::find(kLevels, options.level) == kLevels.end()) {
    return fail(ErrorCode::kInvalidArgument, "log level '" + options.level + "'");
  }
  auto logger = std::make_shared<spdlog::logger>(options.service, std::move(sink));
  logger->set_formatter(make_log_formatter(options));
  logger->set_level(spdlog::level::from_str(options.level));
  return logger;
}

Result<void> init_logging(const LogOptions& options) {
  auto logger = make_logger(options, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!logger) return std::unexpected(logger.error());
  spdlog::set_default_logger(*logger);
  return {};
}

}  // namespace velocity::ops
