#include "cli/kafka_client.h"

#include <array>
#include <mutex>

#include "cli/commands.h"

namespace velocity::cli {
namespace {

// Connection errors arrive on librdkafka's error callback, which has no slot for our own
// state when a command already uses the handle's opaque; one command runs per process.
std::mutex error_mutex;
std::string last_transport_error;
bool all_brokers_down = false;

void record_error(rd_kafka_t* /*handle*/, int err, const char* reason, void* /*opaque*/) {
  std::lock_guard lock(error_mutex);
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    all_brokers_down = true;
  } else if (reason != nullptr) {
    last_transport_error = reason;
  }
}

}  // namespace

int timeout_ms(std::chrono::milliseconds timeout) { return static_cast<int>(timeout.count()); }

Properties quiet_properties(const Globals& globals) {
  if (globals.verbose) return {};
  return {{"log_level", "0"}};
}

Result<Handle> new_client(rd_kafka_type_t type, const Globals& globals,
                          const Properties& properties,
                          const std::function<void(rd_kafka_conf_t*)>& configure) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> errstr{};
  Properties all = quiet_properties(globals);
  all["bootstrap.servers"] = globals.brokers;
  all["client.id"] = "velocity-cli";
  all["socket.timeout.ms"] = std::to_string(globals.request_timeout.count());
  for (const auto& [name, value] : properties) all[name] = value;
  for (const auto& [name, value] : all) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr.data(), errstr.size()) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return fail(ErrorCode::kInvalidArgument, name + "=" + value + ": " + errstr.data());
    }
  }
  rd_kafka_conf_set_error_cb(conf, record_error);
  if (configure) configure(conf);
  rd_kafka_t* handle = rd_kafka_new(type, conf, errstr.data(), errstr.size());
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return fail(ErrorCode::kInvalidArgument, std::string("client for ") + globals.brokers + ": " +
                                                 errstr.data());
  }
  return Handle(handle);
}

Result<void> await_broker(rd_kafka_t* handle, const Globals& globals) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + globals.request_timeout;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  for (;;) {
    const rd_kafka_metadata_t* metadata = nullptr;
    // Short slices, so that a refused connection is reported at once rather than after the
    // whole timeout.
    err = rd_kafka_metadata(handle, 0, nullptr, &metadata, 500);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
      return {};
    }
    rd_kafka_poll(handle, 0);  // serves the error callback
    std::lock_guard lock(error_mutex);
    if (all_brokers_down || Clock::now() >= deadline) break;
  }
  std::lock_guard lock(error_mutex);
  std::string reason = last_transport_error.empty() ? rd_kafka_err2str(err) : last_transport_error;
  return fail(ErrorCode::kTimeout, "cannot reach broker " + globals.brokers + ": " + reason);
}

std::string kafka_error_text(const std::string& what, rd_kafka_resp_err_t err,
                             const char* detail) {
  std::string text = what + ": " + rd_kafka_err2name(err);
  text += " (";
  text += (detail != nullptr && *detail != '\0') ? detail : rd_kafka_err2str(err);
  text += ")";
  return text;
}

std::unexpected<Error> kafka_failure(const std::string& what, rd_kafka_resp_err_t err,
                                     const char* detail) {
  ErrorCode code = ErrorCode::kInternal;
  if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
      err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || err == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
    code = ErrorCode::kNotFound;
  } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    code = ErrorCode::kAlreadyExists;
  } else if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT) {
    code = ErrorCode::kTimeout;
  }
  return fail(code, kafka_error_text(what, err, detail));
}

}  // namespace velocity::cli
