#include "supervisor/log_mux.h"

#include <array>
#include <functional>

namespace velocity::supervisor {
namespace {

// Bright, readable colours on dark and light terminals; a group keeps its colour.
constexpr std::array<const char*, 8> kColours = {"\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[35m",
                                                 "\x1b[34m", "\x1b[96m", "\x1b[92m", "\x1b[95m"};
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kBold = "\x1b[1m";

}  // namespace

void LogMux::child(std::string_view name, std::string_view group, std::string_view line) {
  if (options_.quiet) return;
  if (!options_.only.empty() && !options_.only.contains(std::string(group))) return;
  write(name, group, line);
}

void LogMux::note(std::string_view line) {
  write("velocity", "", line);
}

void LogMux::write(std::string_view name, std::string_view group, std::string_view line) {
  std::string prefix(name);
  if (prefix.size() < options_.width) prefix.append(options_.width - prefix.size(), ' ');
  std::string out;
  if (options_.colour) {
    const char* colour = group.empty() ? kBold : kColours[std::hash<std::string_view>{}(group) % kColours.size()];
    out = std::string(colour) + prefix + " |" + kReset + " ";
  } else {
    out = prefix + " | ";
  }
  out.append(line);
  out.push_back('\n');
  std::lock_guard lock(mutex_);
  std::fwrite(out.data(), 1, out.size(), out_);
  std::fflush(out_);
}

}  // namespace velocity::supervisor
