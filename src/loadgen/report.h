// The HTML report of a load run: one self-contained file (inline CSS and SVG, no scripts, no
// external resources) with the summary, the latency over time and the throughput per second.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "loadgen/summary.h"

namespace velocity::loadgen {

// `extra` holds optional "memory" (StoreMemory::to_json) and "check" (the checker's verdict).
std::string render_report(const RunResult& run, const nlohmann::json& summary,
                          const nlohmann::json& extra);

// Writes render_report to `path`; false with `error` set when it cannot.
bool write_report(const std::filesystem::path& path, const std::string& html, std::string& error);

}  // namespace velocity::loadgen
