// Consumer-group offsets as a client sees them: what a group has committed (OffsetFetch through
// KafkaConsumer::committed, without joining the group) and the lag that follows from the
// partitions' high watermarks. Each call creates and destroys its own client; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"

namespace velocity::testing {

// partition → committed next offset (-1001, librdkafka's OFFSET_INVALID, when none) for
// partitions 0..partitions-1 of `topic`.
[[nodiscard]] Result<std::map<std::int32_t, std::int64_t>> committed_offsets(
    const std::string& bootstrap, const std::string& group, const std::string& topic,
    int partitions, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// partition → high watermark minus committed offset (the whole partition when none committed).
[[nodiscard]] Result<std::map<std::int32_t, std::int64_t>> group_lag(
    const std::string& bootstrap, const std::string& group, const std::string& topic,
    int partitions);

}  // namespace velocity::testing
