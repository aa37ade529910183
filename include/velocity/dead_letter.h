// Dead letters: the provenance headers the router puts on events it moves to a retry topic or
// the dead-letter topic, and redrive, which puts dead-lettered events back on their original
// topic with a loop guard. Functions are thread-safe; the Subscriber and Publisher passed in
// must be. Header format: docs/toolkit-events.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "velocity/bus.h"
#include "velocity/message.h"
#include "velocity/result.h"

namespace velocity {

// Where the event was first consumed from, and how its handling failed. Kept unchanged from
// the first failure through every retry tier into the DLQ, except attempts, last failure time
// and error, which follow the latest failure.
inline constexpr std::string_view kOriginalTopicHeader = "velocity_original_topic";
inline constexpr std::string_view kOriginalPartitionHeader = "velocity_original_partition";
inline constexpr std::string_view kOriginalOffsetHeader = "velocity_original_offset";
inline constexpr std::string_view kErrorHeader = "velocity_error";
inline constexpr std::string_view kAttemptsHeader = "velocity_attempts";  // handler calls in all
inline constexpr std::string_view kFirstFailureHeader = "velocity_first_failure_time";  // RFC 3339
inline constexpr std::string_view kLastFailureHeader = "velocity_last_failure_time";    // RFC 3339
// On retry-topic messages: when to handle it again, milliseconds since the Unix epoch.
inline constexpr std::string_view kRetryDueHeader = "velocity_retry_due_ms";
// How often the event has been redriven from the DLQ; survives later failures.
inline constexpr std::string_view kRedriveCountHeader = "velocity_redrive_count";

// The message to republish for `dead_letter`: the original topic, key, payload and event
// headers, the provenance headers removed and the redrive count incremented. kInvalidArgument
// if it is not a dead letter (no original topic) or was already redriven `max_redrives` times.
[[nodiscard]] Result<Message> prepare_redrive(const Message& dead_letter, int max_redrives);

struct RedriveOptions {
  std::string dlq_topic;
  // Only the message at this position; otherwise every message the group has not yet read.
  std::optional<int32_t> partition;
  std::optional<int64_t> offset;
  // Reads "all" until no message arrived for this long (the bus contract has no end marker).
  std::chrono::milliseconds idle_timeout{2000};
  int max_redrives = 3;
  // Group that remembers how far "all" got. A single-offset redrive reads with a fresh group.
  std::string group;  // default "<dlq_topic>.redrive"
};

struct RedriveReport {
  size_t redriven = 0;
  size_t refused = 0;  // beyond the loop guard or not dead letters; they stay in the DLQ
  std::string last_refusal;
};

// Republishes dead letters to their original topics. With an offset: kNotFound if the
// message was not seen within idle_timeout, kInvalidArgument if the loop guard refuses it.
[[nodiscard]] Result<RedriveReport> redrive(Subscriber& subscriber, Publisher& publisher,
                                            const RedriveOptions& options);

}  // namespace velocity
