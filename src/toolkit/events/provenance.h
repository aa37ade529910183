// Provenance of a failed event: read from and written to the headers named in
// velocity/dead_letter.h, so an event carries its failure history from the first failure
// through every retry tier into the DLQ. Pure functions over values; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "velocity/message.h"
#include "velocity/result.h"

namespace velocity::events {

struct Provenance {
  std::string original_topic;
  int32_t original_partition = -1;
  int64_t original_offset = -1;
  int attempts = 0;  // handler calls so far, over all tiers
  std::chrono::system_clock::time_point first_failure;
  std::chrono::system_clock::time_point last_failure;
  std::string error;
};

// The provenance after `delivered` failed again: the one its headers carry (it came from a
// retry topic) or a new one starting at its own position, with `attempts` more handler calls.
Provenance after_failure(const Message& delivered, int attempts, const Error& error,
                         std::chrono::system_clock::time_point now);

// `delivered` (key, payload, event headers) re-addressed to `topic` with `provenance` in its
// headers; `due_ms` (epoch milliseconds) adds the retry due header when >= 0.
Message with_provenance(const Message& delivered, const Provenance& provenance, std::string topic,
                        int64_t due_ms = -1);

// Removes every provenance header, the redrive count included.
void strip_provenance(Message& message);

// A header holding a decimal integer; nullopt if absent or not a number.
std::optional<int64_t> integer_header(const Message& message, std::string_view name);

}  // namespace velocity::events
