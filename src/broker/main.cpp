// velocity-broker: a single-node, durable broker that speaks the Kafka wire protocol.
// Options come from the command line or VELOCITY_* environment variables; --help lists them.

#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <functional>
#include <string>

#include "broker/broker.h"
#include "broker/core/broker_config.h"
#include "common/log.h"

namespace {

using velocity::broker::BrokerConfig;

// "HOST:PORT" → host, port. IPv6 hosts are written in brackets: "[::1]:9092".
bool split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    size_t used = 0;
    int value = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || value < 0 || value > 65535) return false;
    port = static_cast<uint16_t>(value);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

}  // namespace

int main(int argc, char** argv) {
  BrokerConfig config;
  std::string listen = "127.0.0.1:9092";
  std::string advertise;
  std::string durability = "sync";
  uint64_t journal_checkpoint_mib = 64;

  CLI::App app{"velocity-broker: a single-node, durable broker that speaks the Kafka protocol"};
  app.option_defaults()->always_capture_default();
  app.add_option("--listen", listen, "Address to accept clients on, HOST:PORT")->envname("VELOCITY_LISTEN");
  app.add_option("--data-dir", config.data_dir, "Directory holding topics, offsets and producer state")
      ->envname("VELOCITY_DATA_DIR");
  app.add_option("--advertise", advertise,
                 "Address clients are told to connect to, HOST:PORT (default: the listen address)")
      ->envname("VELOCITY_ADVERTISE");
  app.add_option("--node-id", config.node_id, "Broker id shown in Metadata")->envname("VELOCITY_NODE_ID");
  app.add_option("--cluster-id", config.cluster_id, "Cluster id shown in Metadata")
      ->envname("VELOCITY_CLUSTER_ID");
  app.add_option("--auto-create-topics", config.auto_create_topics,
                 "Create a topic when a client asks for one that does not exist")
      ->envname("VELOCITY_AUTO_CREATE_TOPICS");
  app.add_option("--default-partitions", config.topic_defaults.partitions,
                 "Partitions of an auto-created topic or of CreateTopics with -1")
      ->envname("VELOCITY_DEFAULT_PARTITIONS")
      ->check(CLI::Range(1, 100000));
  app.add_option("--segment-bytes", config.topic_defaults.segment_bytes, "Default segment.bytes")
      ->envname("VELOCITY_SEGMENT_BYTES")
      ->check(CLI::Range(int64_t{4096}, (int64_t{1} << 31) - 1));
  app.add_option("--retention-ms", config.topic_defaults.retention_ms, "Default retention.ms (-1 = keep forever)")
      ->envname("VELOCITY_RETENTION_MS");
  app.add_option("--retention-bytes", config.topic_defaults.retention_bytes,
                 "Default retention.bytes per partition (-1 = no limit)")
      ->envname("VELOCITY_RETENTION_BYTES");
  app.add_option("--durability", durability,
                 "sync: acks=all is answered after fdatasync; none: after the page cache (benchmarks only)")
      ->envname("VELOCITY_DURABILITY")
      ->check(CLI::IsMember({"sync", "none"}));
  std::string journal = "off";
  app.add_option("--journal", journal,
                 "on: with --durability sync, acks=all fdatasyncs one journal shared by all partitions; "
                 "off: each partition's segment")
      ->envname("VELOCITY_JOURNAL")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--journal-checkpoint-mib", journal_checkpoint_mib,
                 "Sync every partition and start a new journal once it holds this many MiB")
      ->envname("VELOCITY_JOURNAL_CHECKPOINT_MIB")
      ->check(CLI::Range(1, 4096));
  app.add_option("--sync-threads", config.sync_threads,
                 "Partitions whose fdatasync may run at once in one flush round (1 = one after another)")
      ->envname("VELOCITY_SYNC_THREADS")
      ->check(CLI::Range(1, 64));
  app.add_option("--prewrite-kib", config.prewrite_kib,
                 "With --durability sync: KiB of zeros written ahead of each segment's end and of "
                 "the journal's, so fdatasync writes data only (0 = off)")
      ->envname("VELOCITY_PREWRITE_KIB")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--max-request-bytes", config.max_request_bytes, "Largest request frame accepted")
      ->envname("VELOCITY_MAX_REQUEST_BYTES");
  app.add_option("--max-queued-request-bytes", config.max_queued_request_bytes,
                 "Request bytes held unanswered (e.g. awaiting fsync) before reading pauses")
      ->envname("VELOCITY_MAX_QUEUED_REQUEST_BYTES");
  app.add_option("--group-initial-rebalance-delay-ms", config.group_initial_rebalance_delay_ms,
                 "Wait for more members before the first rebalance of an empty group")
      ->envname("VELOCITY_GROUP_INITIAL_REBALANCE_DELAY_MS");
  app.add_option("--shutdown-drain-ms", config.shutdown_drain_ms,
                 "On SIGTERM, how long in-flight requests may take to finish")
      ->envname("VELOCITY_SHUTDOWN_DRAIN_MS");
  app.add_option("--log-level", config.log_level, "trace, debug, info, warn or error")
      ->envname("VELOCITY_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  if (!split_host_port(listen, config.listen_host, config.listen_port)) {
    std::fprintf(stderr, "velocity-broker: --listen must be HOST:PORT, got '%s'\n", listen.c_str());
    return 2;
  }
  config.advertised_host = config.listen_host == "0.0.0.0" || config.listen_host == "::"
                               ? "127.0.0.1"
                               : config.listen_host;
  config.advertised_port = config.listen_port;
  if (!advertise.empty() && !split_host_port(advertise, config.advertised_host, config.advertised_port)) {
    std::fprintf(stderr, "velocity-broker: --advertise must be HOST:PORT, got '%s'\n", advertise.c_str());
    return 2;
  }
  config.sync_on_ack = durability == "sync";
  config.journal = journal == "on";
  config.journal_checkpoint_bytes = journal_checkpoint_mib << 20;

  velocity::log::init("broker", config.log_level);
  std::signal(SIGPIPE, SIG_IGN);

  boost::asio::io_context io(1);
  auto broker = velocity::broker::Broker::open(io, config);
  if (!broker) {
    velocity::log::error("cannot start: {}", broker.error().message());
    return 1;
  }
  // Handlers first: a signal that arrives once the port is open must find them installed.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    velocity::log::info("received {}, finishing in-flight requests", signal == SIGINT ? "SIGINT" : "SIGTERM");
    (*broker)->stop([&io] { io.stop(); });
  });
  // SIGUSR1: log how long requests were held so far, and count afresh (benchmarks use it to
  // leave their warm-up out).
  boost::asio::signal_set usr1(io, SIGUSR1);
  std::function<void()> on_usr1 = [&] {
    usr1.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      (*broker)->log_request_times();
      on_usr1();
    });
  };
  on_usr1();
  auto port = (*broker)->start();
  if (!port) {
    velocity::log::error("cannot start: {}", port.error().message());
    return 1;
  }

  io.run();
  auto closed = (*broker)->close();
  if (!closed) {
    velocity::log::error("shutdown: {}", closed.error().message());
    return 1;
  }
  velocity::log::info("stopped cleanly");
  return 0;
}
