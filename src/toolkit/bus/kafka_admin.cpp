// ensure_topics and delete_group: the Admin API through librdkafka's C interface (the C++ API
// has none).
#include <librdkafka/rdkafka.h>

#include <array>
#include <memory>

#include "velocity/kafka_bus.h"

namespace velocity {

namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* h) const { rd_kafka_destroy(h); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct DeleteGroupDeleter {
  void operator()(rd_kafka_DeleteGroup_t* g) const { rd_kafka_DeleteGroup_destroy(g); }
};

using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

// One Admin API request: a client of its own, a result queue and options bounded by `timeout`.
// `what` names the operation in every error.
class AdminCall {
 public:
  static Result<AdminCall> open(const std::string& bootstrap_servers, rd_kafka_admin_op_t op,
                                std::chrono::milliseconds timeout, std::string what) {
    std::array<char, 512> err{};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers.c_str(), err.data(),
                          err.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return fail(ErrorCode::kInvalidArgument, what + ": " + err.data());
    }
    AdminCall call;
    call.what_ = std::move(what);
    call.timeout_ = timeout;
    call.handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size()));
    if (!call.handle_) {
      rd_kafka_conf_destroy(conf);
      return fail(ErrorCode::kInternal, call.what_ + ": " + err.data());
    }
    call.queue_.reset(rd_kafka_queue_new(call.handle_.get()));
    call.options_.reset(rd_kafka_AdminOptions_new(call.handle_.get(), op));
    const int ms = static_cast<int>(timeout.count());
    rd_kafka_AdminOptions_set_request_timeout(call.options_.get(), ms, err.data(), err.size());
    rd_kafka_AdminOptions_set_operation_timeout(call.options_.get(), ms, err.data(), err.size());
    return call;
  }

  rd_kafka_t* handle() const { return handle_.get(); }
  rd_kafka_AdminOptions_t* options() const { return options_.get(); }
  rd_kafka_queue_t* queue() const { return queue_.get(); }
  const std::string& what() const { return what_; }

  // The result event of the request, once it failed or succeeded as a whole.
  Result<Event> wait() const {
    Event event(rd_kafka_queue_poll(queue_.get(), static_cast<int>(timeout_.count()) + 1000));
    if (!event) return fail(ErrorCode::kTimeout, what_ + ": no answer");
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return fail(ErrorCode::kIo, what_ + ": " + rd_kafka_event_error_string(event.get()));
    }
    return event;
  }

 private:
  AdminCall() = default;
  std::string what_;
  std::chrono::milliseconds timeout_{};
  std::unique_ptr<rd_kafka_t, HandleDeleter> handle_;
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue_;
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options_;
};

}  // namespace

Result<void> ensure_topics(const std::string& bootstrap_servers,
                           const std::vector<std::string>& names, int partitions,
                           std::chrono::milliseconds timeout) {
  if (names.empty()) return {};
  auto call = AdminCall::open(bootstrap_servers, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout, "ensure_topics");
  if (!call) return std::unexpected(call.error());
  std::array<char, 512> err{};
  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>> owned;
  std::vector<rd_kafka_NewTopic_t*> topics;
  for (const auto& name : names) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err.data(), err.size());
    if (t == nullptr) {
      return fail(ErrorCode::kInvalidArgument, "ensure_topics " + name + ": " + err.data());
    }
    owned.emplace_back(t);
    topics.push_back(t);
  }
  rd_kafka_CreateTopics(call->handle(), topics.data(), topics.size(), call->options(), call->queue());
  auto event = call->wait();
  if (!event) return std::unexpected(event.error());
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event->get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    return fail(ErrorCode::kIo, std::string("ensure_topics ") + rd_kafka_topic_result_name(results[i]) +
                                    ": " + rd_kafka_err2str(e));
  }
  return {};
}

Result<void> delete_group(const std::string& bootstrap_servers, const std::string& group,
                          std::chrono::milliseconds timeout) {
  auto call = AdminCall::open(bootstrap_servers, RD_KAFKA_ADMIN_OP_DELETEGROUPS, timeout,
                              "delete group " + group);
  if (!call) return std::unexpected(call.error());
  std::unique_ptr<rd_kafka_DeleteGroup_t, DeleteGroupDeleter> request(rd_kafka_DeleteGroup_new(group.c_str()));
  rd_kafka_DeleteGroup_t* requests[] = {request.get()};
  rd_kafka_DeleteGroups(call->handle(), requests, 1, call->options(), call->queue());
  auto event = call->wait();
  if (!event) return std::unexpected(event.error());
  size_t count = 0;
  const rd_kafka_group_result_t** results =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i]);
    if (e == nullptr || rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) continue;
    return fail(ErrorCode::kIo, call->what() + ": " + rd_kafka_error_string(e));
  }
  return {};
}

}  // namespace velocity
