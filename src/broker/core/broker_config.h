// Everything velocity-broker can be told at start-up, with the defaults it runs with. Filled
// from the command line and VELOCITY_* environment variables (main.cpp), then read-only.
#pragma once

#include <cstdint>
#include <string>

namespace velocity::broker {

// Defaults for a topic's configuration; each topic may override them (CreateTopics configs).
struct TopicDefaults {
  int32_t partitions = 1;
  int64_t segment_bytes = 1LL << 30;               // segment.bytes
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;     // segment.ms
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;   // retention.ms (-1 = forever)
  int64_t retention_bytes = -1;                    // retention.bytes per partition (-1 = no limit)
  int32_t max_message_bytes = 1024 * 1024 + 12;    // max.message.bytes (one batch)
  std::string cleanup_policy = "delete";           // cleanup.policy
};

struct BrokerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9092;
  // What Metadata and FindCoordinator tell clients to connect to.
  std::string advertised_host = "127.0.0.1";
  uint16_t advertised_port = 9092;
  std::string data_dir = "var/broker";
  int32_t node_id = 1;
  std::string cluster_id = "velocity";

  bool auto_create_topics = true;
  TopicDefaults topic_defaults;

  // acks=all waits for fdatasync. Turning this off (benchmarks, explicit opt-in only) answers
  // acks=all once the bytes reach the page cache.
  bool sync_on_ack = true;
  // How many partitions' fdatasyncs one flush round may run at once (1 = one after another).
  size_t sync_threads = 8;
  // With sync_on_ack: zeros are written this far ahead of each active segment's end (and of
  // the journal's records), so the fdatasync that answers acks=all writes data only, not the
  // inode too (0 = off).
  uint64_t prewrite_kib = 1024;
  // With sync_on_ack: every append also goes to one journal shared by all partitions, and an
  // acks=all round fdatasyncs that one file instead of every partition's segment; segments are
  // synced at checkpoints (docs/storage.md, "Journal"). Off by default: it did not measure
  // better yet (bench/reports/2026-11-26-peers.md, "Follow-up: one journal for all partitions").
  bool journal = false;
  // A checkpoint starts once the journal holds this many bytes or is this old.
  uint64_t journal_checkpoint_bytes = 64ull << 20;
  int64_t journal_checkpoint_ms = 10000;

  size_t max_request_bytes = 100 * 1024 * 1024;
  // Request bytes read but not yet answered, over all connections; reading pauses above it.
  size_t max_queued_request_bytes = 64 * 1024 * 1024;
  int64_t group_initial_rebalance_delay_ms = 3000;
  int64_t group_min_session_timeout_ms = 6000;
  int64_t group_max_session_timeout_ms = 1800000;
  int64_t producer_id_expiration_ms = 7LL * 24 * 3600 * 1000;
  // How often retention runs and idle producers expire.
  int64_t housekeeping_interval_ms = 30000;
  int64_t shutdown_drain_ms = 5000;
  std::string log_level = "info";
};

}  // namespace velocity::broker
