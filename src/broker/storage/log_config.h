// Per-partition storage settings, named after the Kafka topic configs they implement.
// A plain value type.
#pragma once

#include <cstdint>

namespace velocity::storage {

enum class Durability {
  kFsync,   // sync() and wait_durable() fdatasync the data: the only production setting
  kNoSync,  // sync() only records the offset as durable; for benchmarks, explicit opt-in
};

struct LogConfig {
  uint64_t segment_bytes = 1ull << 30;            // segment.bytes (clamped below 2 GiB)
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;    // segment.ms
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;  // retention.ms, -1 = keep forever
  int64_t retention_bytes = -1;                   // retention.bytes, -1 = no size limit
  uint32_t index_interval_bytes = 4096;           // index.interval.bytes
  uint32_t max_batch_bytes = 1048588;             // max.message.bytes (Kafka's default)
  // Disk blocks reserved ahead of the active segment's end, at most this many bytes at a time
  // (steps grow with the segment from 1 MiB; never past segment.bytes), so appends write into
  // allocated blocks; 0 = off. Kafka's `preallocate` reserves the whole segment; steps bound
  // the space a partition holds unused.
  uint64_t preallocate_bytes = 16ull << 20;
  // With kFsync: zeros are kept up to this far ahead of the active segment's end, written off
  // the append path (PartitionLog::prewrite_ahead) once less than half of them remain, so an
  // append overwrites blocks within the file's size and the fdatasync that acknowledges it
  // writes data only, not the inode as well; 0 = off.
  uint64_t prewrite_bytes = 1ull << 20;
  Durability durability = Durability::kFsync;
};

}  // namespace velocity::storage
