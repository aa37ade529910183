// Test-only: a strict reader of the Prometheus text exposition format 0.0.4, shared by the
// metrics and ops server tests. Reports violations as GoogleTest failures.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace velocity::metrics {

// A strict reader of the Prometheus text format 0.0.4: every line is a HELP, a TYPE or a
// sample of a declared family; returns the samples as "name{labels}" → value.
inline std::map<std::string, double> parse_exposition(const std::string& text) {
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)");
  static const std::regex type(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (\S+)$)");
  std::map<std::string, double> out;
  std::set<std::string> declared;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) continue;
    if (std::regex_match(line, m, type)) {
      EXPECT_TRUE(declared.insert(m[1]).second) << "family declared twice: " << line;
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "not a valid sample line: " << line;
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!declared.contains(family) && family.ends_with(suffix))
        family.resize(family.size() - std::strlen(suffix));
    }
    EXPECT_TRUE(declared.contains(family)) << "sample of an undeclared family: " << line;
    std::string value = m[5];
    out[name + std::string(m[2])] = value == "+Inf" ? INFINITY : std::stod(value);
  }
  return out;
}

}  // namespace velocity::metrics
