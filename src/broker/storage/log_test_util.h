// Helpers shared by the storage tests: building batches and reading a log back batch by batch.
// Test-only (header-only, never linked into the library).
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "broker/storage/batch_builder.h"
#include "broker/storage/fake_env.h"
#include "broker/storage/partition_log.h"

namespace velocity::storage::testing {

inline std::vector<std::byte> batch(int32_t records, int64_t timestamp = 1000,
                                    size_t value_size = 16, uint8_t seed = 0) {
  BatchSpec spec;
  spec.record_count = records;
  spec.value_size = value_size;
  spec.base_timestamp = timestamp;
  spec.fill_seed = seed;
  return build_batch(spec);
}

// Every batch a read from `offset` returns, following the log to its end.
inline std::vector<BatchHeader> read_all_headers(const PartitionLog& log, int64_t offset = -1) {
  std::vector<BatchHeader> out;
  int64_t next = offset < 0 ? log.log_start_offset() : offset;
  while (next < log.high_watermark()) {
    auto r = log.read(next, 1 << 20);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r || r->ranges.empty()) break;
    for (const auto& range : r->ranges) {
      std::vector<std::byte> bytes(range.length);
      auto ok = range.read_into(bytes);
      EXPECT_TRUE(ok.has_value());
      BatchWalker walker(bytes);
      while (auto v = walker.next()) {
        if (!*v) break;
        out.push_back((*v)->header);
        next = (*v)->header.last_offset() + 1;
      }
    }
  }
  return out;
}

}  // namespace velocity::storage::testing

namespace velocity::storage {

// A log on a FakeEnv in /p, reopened at will.
class PartitionLogTest : public ::testing::Test {
 protected:
  std::shared_ptr<PartitionLog> open(LogConfig config = {}) {
    auto opened = PartitionLog::open(env_, "/p", config);
    EXPECT_TRUE(opened) << opened.error().message();
    report_ = opened->report;
    return opened->log;
  }

  AppendResult append(PartitionLog& log, std::vector<std::byte> bytes, int64_t now = 0) {
    auto r = log.append(bytes, now);
    EXPECT_TRUE(r) << r.error().message();
    return r.value_or(AppendResult{});
  }

  FakeEnv env_;
  RecoveryReport report_;
};

}  // namespace velocity::storage
