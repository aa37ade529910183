// velocity_peers_bench: one measurement per invocation against a running broker (velocity-
// broker, Redis or NATS JetStream), printed as one line of key=value figures; bench/peers/run
// starts the servers, repeats the measurements and writes the report.
// Subcommands: free-port, limits, run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

#include "limits.h"
#include "peer_client.h"

namespace {

using velocity::bench::Figures;

int report(const velocity::Result<Figures>& figures) {
  if (!figures) {
    std::fprintf(stderr, "velocity_peers_bench: %s\n", figures.error().message().c_str());
    return 1;
  }
  std::fputs(velocity::bench::format_figures(*figures).c_str(), stdout);
  return 0;
}

int print_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("velocity_peers_bench: free-port");
    return 1;
  }
  ::close(fd);
  std::printf("%u\n", static_cast<unsigned>(ntohs(address.sin_port)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace peers = velocity::bench::peers;
  CLI::App app{
      "velocity_peers_bench: velocity-broker, Redis Streams and NATS JetStream side by side"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();

  auto* port_command = app.add_subcommand("free-port", "Print a free TCP port on 127.0.0.1");

  peers::LimitOptions limits;
  limits.batch_bytes = {16384, 65536, 262144, 1048576};
  auto* limits_command = app.add_subcommand("limits", "write+fdatasync, O_DIRECT, memcpy");
  limits_command->add_option("--dir", limits.dir, "Scratch directory")->required();
  limits_command
      ->add_option("--batch-bytes", limits.batch_bytes, "Bytes per sync (multiples of 4096)")
      ->delimiter(',');
  limits_command->add_option("--seconds", limits.seconds_per_size, "Duration per size and kind");
  limits_command->add_option("--rate", limits.rate,
                             "Messages/s for the durable-latency limit (a write every 100 µs)");
  limits_command->add_option("--message-bytes", limits.message_bytes, "Bytes per message");

  peers::Target target;
  peers::RunOptions options;
  std::string system;
  std::string workload;
  auto* run_command = app.add_subcommand("run", "One workload against one broker");
  run_command->add_option("--system", system, "kafka, redis or nats")
      ->required()
      ->check(CLI::IsMember({"kafka", "redis", "nats"}));
  run_command->add_option("--workload", workload, "reset, pipelined, one-by-one, rate or consume")
      ->required()
      ->check(CLI::IsMember({"reset", "pipelined", "one-by-one", "rate", "consume"}));
  run_command->add_option("--host", target.host, "Broker host");
  run_command->add_option("--port", target.port, "Broker port")->required();
  run_command->add_option("--name", target.name, "Topic, or prefix of the streams");
  run_command->add_option("--partitions", target.partitions, "Partitions (streams)")
      ->check(CLI::Range(1, 1024));
  run_command->add_option("--message-bytes", target.message_bytes, "Payload bytes")
      ->check(CLI::Range(8, 1 << 20));
  run_command->add_option("--seconds", options.seconds, "Duration of a timed run");
  run_command->add_option(
      "--max-messages", options.max_messages,
      "pipelined: stop after this many messages or --seconds, whichever comes first");
  run_command
      ->add_option("--window", options.window, "pipelined: messages awaiting acks (Redis, NATS)")
      ->check(CLI::Range(1, 1 << 20));
  run_command->add_option("--rate", options.rate, "rate: messages per second")
      ->check(CLI::PositiveNumber);
  run_command->add_option("--warmup", options.warmup_seconds, "rate: leading seconds not recorded");
  run_command
      ->add_option("--send-tick-us", options.send_tick_us,
                   "rate (Kafka): wake the producer at most once per this many µs (0 = per message)")
      ->check(CLI::Range(0, 100000));
  run_command->add_option("--linger-ms", options.linger_ms, "rate (Kafka): the producer's linger.ms")
      ->check(CLI::Range(0, 1000));

  CLI11_PARSE(app, argc, argv);

  if (port_command->parsed()) return print_free_port();
  if (limits_command->parsed()) return report(peers::run_limits(limits));

  std::unique_ptr<peers::PeerClient> client = system == "kafka"   ? peers::make_kafka_client(target)
                                              : system == "redis" ? peers::make_redis_client(target)
                                                                  : peers::make_nats_client(target);
  if (workload == "reset") {
    auto reset = client->reset();
    if (!reset) return report(std::unexpected(reset.error()));
    return 0;
  }
  if (workload == "pipelined") return report(client->produce_pipelined(options));
  if (workload == "one-by-one") return report(client->produce_one_by_one(options));
  if (workload == "rate") return report(client->produce_at_rate(options));
  return report(client->consume_backlog(options));
}
