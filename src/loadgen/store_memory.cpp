#include "loadgen/store_memory.h"

#include <fstream>
#include <sstream>

namespace velocity::loadgen {

int64_t peak_resident_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("VmHWM:")) continue;
    std::istringstream fields(line.substr(6));
    int64_t kib = -1;
    fields >> kib;
    return kib < 0 ? -1 : kib * 1024;
  }
  return -1;
}

std::optional<StoreMemory> store_memory(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "velocity.state.json");
  if (!in.is_open()) return std::nullopt;
  const auto state = nlohmann::json::parse(in, nullptr, false);
  if (state.is_discarded() || !state.is_object()) return std::nullopt;
  StoreMemory memory;
  auto add = [&](std::string name, pid_t pid) {
    if (pid <= 0) return;
    ProcessMemory p{std::move(name), pid, peak_resident_bytes(pid)};
    if (p.peak_bytes > 0) memory.total_bytes += p.peak_bytes;
    memory.processes.push_back(std::move(p));
  };
  if (state.contains("supervisor_pid") && state["supervisor_pid"].is_number_integer())
    add("velocity up", state["supervisor_pid"].get<pid_t>());
  if (state.contains("processes") && state["processes"].is_array()) {
    for (const auto& p : state["processes"]) {
      if (!p.is_object()) continue;
      const auto pid =
          p.contains("pid") && p["pid"].is_number_integer() ? p["pid"].get<pid_t>() : 0;
      add(p.contains("name") && p["name"].is_string() ? p["name"].get<std::string>() : "?", pid);
    }
  }
  return memory;
}

nlohmann::json StoreMemory::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : processes)
    list.push_back({{"name", p.name}, {"pid", p.pid}, {"peak_bytes", p.peak_bytes}});
  return {{"processes", list},
          {"total_bytes", total_bytes},
          {"goal_bytes", kMemoryGoalBytes},
          {"within_goal", total_bytes <= kMemoryGoalBytes}};
}

}  // namespace velocity::loadgen
