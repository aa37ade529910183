// Names of the per-partition files besides segments, and the log-start checkpoint codec.
// Shared by PartitionLog's recovery and maintenance code. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace velocity::storage {

// Present only between a clean close() and the next open(): the indexes on disk are complete
// and the last segment needs no scan.
inline constexpr std::string_view kCleanShutdownFile = "clean-shutdown";
// The log start offset set by DeleteRecords: 8 bytes big-endian + CRC-32C of those 8 bytes.
inline constexpr std::string_view kLogStartFile = "log-start-offset";

// The id journal records use for this log (8 bytes big-endian + CRC-32C, like the log start),
// written once when the log is first opened with a journal. A recreated partition gets a new
// one, so records of a deleted partition never match it.
inline constexpr std::string_view kLogIdFile = "log-id";

std::vector<std::byte> encode_log_start(int64_t offset);
std::optional<int64_t> decode_log_start(std::span<const std::byte> bytes);

// The base offset named by "<20 digits>.log", or nullopt for any other name.
std::optional<int64_t> segment_base_from_name(std::string_view name);

}  // namespace velocity::storage
