// velocity_broker_bench: one measurement per invocation against a running broker, printed as
// one line of key=value figures; bench/broker/run_broker_bench.sh starts the brokers, repeats
// the measurements and builds the report. Subcommands: free-port, loopback, create-topic,
// produce-latency, produce-throughput, consume.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "consume_bench.h"
#include "kafka_client.h"
#include "loopback_bench.h"
#include "produce_bench.h"

namespace {

using velocity::bench::Figures;

int report(const velocity::Result<Figures>& figures) {
  if (!figures) {
    std::fprintf(stderr, "velocity_broker_bench: %s\n", figures.error().message().c_str());
    return 1;
  }
  std::fputs(velocity::bench::format_figures(*figures).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "velocity_broker_bench: produce, consume and loopback measurements for velocity-broker"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();

  velocity::bench::ProduceOptions produce;
  velocity::bench::ConsumeOptions consume;
  velocity::bench::LoopbackOptions loopback;
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "bench";
  int partitions = 8;

  auto add_target = [&](CLI::App* command) {
    command->add_option("--bootstrap", bootstrap, "Broker address HOST:PORT");
    command->add_option("--topic", topic, "Topic to use");
    command->add_option("--partitions", partitions, "Partitions of the topic")
        ->check(CLI::Range(1, 100000));
  };

  auto* port_command = app.add_subcommand("free-port", "Print a free TCP port on 127.0.0.1");

  auto* loopback_command = app.add_subcommand("loopback", "Plain TCP over 127.0.0.1, one stream");
  loopback_command->add_option("--chunk-bytes", loopback.chunk_bytes, "Bytes per write")
      ->check(CLI::Range(1, 1 << 24));
  loopback_command->add_option("--seconds", loopback.seconds, "Duration");

  auto* create_command =
      app.add_subcommand("create-topic", "Create the topic through the Admin API");
  add_target(create_command);

  auto* latency_command =
      app.add_subcommand("produce-latency", "One message in flight, acks=all: ack latency");
  auto* throughput_command =
      app.add_subcommand("produce-throughput", "Pipelined producers, acks=all: throughput");
  for (auto* command : {latency_command, throughput_command}) {
    add_target(command);
    command->add_option("--message-bytes", produce.message_bytes, "Payload bytes per message")
        ->check(CLI::Range(1, 1 << 20));
    command->add_option("--seconds", produce.seconds, "Duration");
  }
  throughput_command
      ->add_option("--producers", produce.producers, "Clients, each with its own connection")
      ->check(CLI::Range(1, 1000));

  auto* consume_command =
      app.add_subcommand("consume", "Read the topic's backlog from the first offset");
  add_target(consume_command);
  consume_command->add_option("--max-messages", consume.max_messages,
                              "Read at most this many (0 = all)");

  CLI11_PARSE(app, argc, argv);
  produce.bootstrap = consume.bootstrap = bootstrap;
  produce.topic = consume.topic = topic;
  produce.partitions = consume.partitions = partitions;

  if (port_command->parsed()) {
    auto port = velocity::bench::free_port();
    if (!port) return report(std::unexpected(port.error()));
    std::printf("%u\n", static_cast<unsigned>(*port));
    return 0;
  }
  if (loopback_command->parsed()) return report(velocity::bench::run_loopback(loopback));
  if (create_command->parsed()) {
    auto created = velocity::bench::create_topic(bootstrap, topic, partitions);
    if (!created) return report(std::unexpected(created.error()));
    return 0;
  }
  if (latency_command->parsed()) return report(velocity::bench::run_one_in_flight(produce));
  if (throughput_command->parsed()) return report(velocity::bench::run_pipelined(produce));
  return report(velocity::bench::run_consume_backlog(consume));
}
