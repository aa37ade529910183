// Peak resident memory (VmHWM in /proc/<pid>/status) of every process of a `velocity up`,
// found through the state file it keeps in its data directory. Linux only; stateless.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace velocity::loadgen {

inline constexpr int64_t kMemoryGoalBytes = int64_t{1} << 30;  // the whole store within 1 GiB

struct ProcessMemory {
  std::string name;
  pid_t pid = 0;
  int64_t peak_bytes = -1;  // -1: the process is gone or unreadable
};

struct StoreMemory {
  std::vector<ProcessMemory> processes;
  int64_t total_bytes = 0;  // of the readable ones
  nlohmann::json to_json() const;
};

// VmHWM of `pid` in bytes; -1 when it cannot be read.
int64_t peak_resident_bytes(pid_t pid);

// From <data_dir>/velocity.state.json: the supervisor (`velocity up` itself) and every process
// it lists. nullopt when there is no such file (the store was not started by `velocity up`).
std::optional<StoreMemory> store_memory(const std::filesystem::path& data_dir);

}  // namespace velocity::loadgen
