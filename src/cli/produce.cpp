// velocity produce TOPIC [VALUE...]: idempotent, acks=all; reports where each message landed.
#include <iostream>
#include <memory>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/kafka_admin.h"

namespace velocity::cli {
namespace {

struct ProduceArgs {
  std::string topic;
  std::vector<std::string> values;
  std::optional<std::string> key;
  std::vector<std::string> headers;
  std::optional<std::int32_t> partition;
};

struct Delivered {
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

// Delivery reports run inside rd_kafka_poll/flush on the main thread.
struct Deliveries {
  std::vector<Delivered> results;
  std::size_t pending = 0;
};

void on_delivery(rd_kafka_t* /*handle*/, const rd_kafka_message_t* message, void* opaque) {
  auto* deliveries = static_cast<Deliveries*>(opaque);
  const auto index = reinterpret_cast<std::uintptr_t>(message->_private);
  deliveries->results[index] = {message->err, message->partition, message->offset};
  --deliveries->pending;
}

class Sender {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  Sender(rd_kafka_t* handle, const ProduceArgs& args, Headers headers, Deliveries& deliveries)
      : handle_(handle), args_(args), deliveries_(deliveries), headers_(std::move(headers)) {}

  void send(const std::string& value) {
    const auto index = deliveries_.results.size();
    deliveries_.results.emplace_back();
    ++deliveries_.pending;
    rd_kafka_headers_t* headers = rd_kafka_headers_new(headers_.size());
    for (const auto& [name, text] : headers_) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), text.data(),
                          static_cast<ssize_t>(text.size()));
    }
    std::vector<rd_kafka_vu_t> fields;
    auto add = [&fields](rd_kafka_vu_t field) { fields.push_back(field); };
    rd_kafka_vu_t field{};
    field.vtype = RD_KAFKA_VTYPE_TOPIC;
    field.u.cstr = args_.topic.c_str();
    add(field);
    field.vtype = RD_KAFKA_VTYPE_VALUE;
    field.u.mem = {const_cast<char*>(value.data()), value.size()};
    add(field);
    if (args_.key) {
      field.vtype = RD_KAFKA_VTYPE_KEY;
      field.u.mem = {const_cast<char*>(args_.key->data()), args_.key->size()};
      add(field);
    }
    if (args_.partition) {
      field.vtype = RD_KAFKA_VTYPE_PARTITION;
      field.u.i32 = *args_.partition;
      add(field);
    }
    field.vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    field.u.i = RD_KAFKA_MSG_F_COPY;
    add(field);
    field.vtype = RD_KAFKA_VTYPE_OPAQUE;
    field.u.ptr = reinterpret_cast<void*>(static_cast<std::uintptr_t>(index));
    add(field);
    field.vtype = RD_KAFKA_VTYPE_HEADERS;
    field.u.headers = headers;
    add(field);
    for (;;) {
      rd_kafka_error_t* error = rd_kafka_produceva(handle_, fields.data(), fields.size());
      if (error == nullptr) break;  // the message owns the headers now
      const auto code = rd_kafka_error_code(error);
      const std::string text = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(handle_, 100);  // let deliveries drain the queue
        continue;
      }
      rd_kafka_headers_destroy(headers);
      throw OperationError(kafka_error_text("produce to " + args_.topic, code, text.c_str()));
    }
    rd_kafka_poll(handle_, 0);
  }

 private:
  rd_kafka_t* handle_;
  const ProduceArgs& args_;
  Deliveries& deliveries_;
  Headers headers_;
};

void produce(const Globals& globals, const ProduceArgs& args) {
  Sender::Headers headers;
  for (const auto& text : args.headers) headers.push_back(parse_key_value("--header", text));
  auto admin = unwrap(KafkaAdmin::connect(globals));
  const auto topic = unwrap(admin.describe_topic(args.topic));
  if (args.partition && (*args.partition < 0 ||
                         *args.partition >= static_cast<std::int32_t>(topic.partitions.size()))) {
    throw OperationError("topic " + args.topic + " has no partition " +
                         std::to_string(*args.partition) + " (it has " +
                         std::to_string(topic.partitions.size()) + ")");
  }
  Deliveries deliveries;
  const auto message_timeout = std::max<std::int64_t>(30000, 3 * globals.request_timeout.count());
  auto producer = unwrap(new_client(
      RD_KAFKA_PRODUCER, globals,
      {{"enable.idempotence", "true"},
       {"acks", "all"},
       {"linger.ms", "5"},
       {"message.timeout.ms", std::to_string(message_timeout)}},
      [&deliveries](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_opaque(conf, &deliveries);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
      }));
  Sender sender(producer.get(), args, std::move(headers), deliveries);
  if (!args.values.empty()) {
    for (const auto& value : args.values) sender.send(value);
  } else {
    // One message per line; a trailing carriage return (CRLF input) is not part of it.
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.ends_with('\r')) line.pop_back();
      sender.send(line);
    }
  }
  while (deliveries.pending > 0) rd_kafka_poll(producer.get(), 100);

  std::size_t failed = 0;
  std::string first_error;
  nlohmann::json messages = nlohmann::json::array();
  Table table({"PARTITION", "OFFSET"});
  for (const auto& delivered : deliveries.results) {
    if (delivered.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (failed++ == 0) first_error = rd_kafka_err2str(delivered.error);
      messages.push_back({{"error", rd_kafka_err2str(delivered.error)}});
      table.add({"-", std::string("error: ") + rd_kafka_err2str(delivered.error)});
      continue;
    }
    messages.push_back({{"partition", delivered.partition}, {"offset", delivered.offset}});
    table.add({std::to_string(delivered.partition), std::to_string(delivered.offset)});
  }
  if (globals.format == OutputFormat::kJson) {
    print_json({{"topic", args.topic}, {"messages", messages}});
  } else {
    table.print(std::cout);
  }
  if (failed > 0) {
    throw OperationError(std::to_string(failed) + " of " + std::to_string(deliveries.results.size()) +
                         " message(s) to " + args.topic + " failed: " + first_error);
  }
}

}  // namespace

void register_produce_command(CLI::App& app, const Globals& globals) {
  auto args = std::make_shared<ProduceArgs>();
  auto* produce_cmd = app.add_subcommand(
      "produce", "Write messages: the VALUE arguments, or one message per line of stdin");
  produce_cmd->add_option("topic", args->topic, "Topic to write to")->required();
  produce_cmd->add_option("values", args->values, "Message values; none: read stdin");
  produce_cmd->add_option("-k,--key", args->key, "Key of every message");
  produce_cmd->add_option("-H,--header", args->headers, "Header KEY=VALUE (repeatable)")
      ->allow_extra_args(false);
  produce_cmd->add_option("-p,--partition", args->partition,
                          "Partition to write to; default: by key (or spread without key)");
  produce_cmd->footer(R"(Messages are written with an idempotent producer and acks=all; each line
of the output says where one landed.

Examples:
  velocity produce orders --key order-1 --header ce_type=order.placed '{"total":42}'
  printf 'a\nb\n' | velocity produce orders --partition 0 --format json)");
  produce_cmd->callback([&globals, args] { produce(globals, *args); });
}

}  // namespace velocity::cli
