// ProducerIdAllocator: hands out positive producer ids for InitProducerId that are never reused,
// even across restarts. Ids are reserved in blocks; the end of the reserved block (a high-water
// mark) is made durable in `producer_ids` in the data directory before any id of the block is
// handed out, so a crash only skips ids. Not thread-safe: owned by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace velocity::group {

enum class InitProducerIdError {
  kNone,
  kTransactionalIdNotSupported,  // a non-null transactional id: transactions are not offered
  kStorage,                      // the high-water mark could not be persisted; retry later
};

struct InitProducerIdResult {
  InitProducerIdError error = InitProducerIdError::kNone;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

class ProducerIdAllocator {
 public:
  static constexpr const char* kFileName = "producer_ids";

  // Reads the high-water mark in `dir` (none yet: ids start at 1). A damaged file fails with
  // kCorrupt rather than risk handing out an id twice.
  [[nodiscard]] static Result<std::unique_ptr<ProducerIdAllocator>> open(
      const std::filesystem::path& dir, int64_t block_size = 1000);

  [[nodiscard]] Result<int64_t> allocate();

  // InitProducerId for an idempotent, non-transactional producer: a fresh id with epoch 0.
  [[nodiscard]] InitProducerIdResult init_producer_id(
      const std::optional<std::string>& transactional_id);

  int64_t next_id() const { return next_; }

 private:
  ProducerIdAllocator(std::filesystem::path file, int64_t block_size, int64_t next)
      : file_(std::move(file)), block_size_(block_size), next_(next), reserved_until_(next) {}

  std::filesystem::path file_;
  int64_t block_size_;
  int64_t next_;
  int64_t reserved_until_;  // exclusive; durable on disk
};

}  // namespace velocity::group
