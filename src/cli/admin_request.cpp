#include "cli/admin_request.h"

#include <array>

#include "cli/kafka_client.h"

namespace velocity::cli {

AdminOptions admin_options(rd_kafka_t* handle, rd_kafka_admin_op_t op,
                           std::chrono::milliseconds timeout) {
  AdminOptions options(rd_kafka_AdminOptions_new(handle, op));
  std::array<char, 512> errstr{};
  const int ms = timeout_ms(timeout);
  // Both setters only fail for out-of-range values, which a positive timeout never is.
  (void)rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, errstr.data(), errstr.size());
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS) {
    (void)rd_kafka_AdminOptions_set_operation_timeout(options.get(), ms, errstr.data(),
                                                      errstr.size());
  }
  return options;
}

Result<Event> await_admin_result(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                                 std::chrono::milliseconds timeout, const std::string& what) {
  // The request itself times out after `timeout`; its result event follows shortly after.
  Event event(rd_kafka_queue_poll(queue, timeout_ms(timeout) + 5000));
  if (!event) return fail(ErrorCode::kTimeout, what + ": no answer from the broker");
  if (rd_kafka_event_type(event.get()) != type) {
    return fail(ErrorCode::kInternal,
                what + ": unexpected result " + rd_kafka_event_name(event.get()));
  }
  if (const auto err = rd_kafka_event_error(event.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_failure(what, err, rd_kafka_event_error_string(event.get()));
  }
  return event;
}

}  // namespace velocity::cli
