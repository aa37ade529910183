// The store's invariant checker: reads every service's database read-only, after the system
// is quiet, and verifies what the saga promises. Used by `velocity check`, the end-to-end tests
// and the load generator.
//
//   - stock is conserved: per SKU, initial + restocks − write-offs = available + reserved + shipped
//   - every order is terminal (completed or cancelled)
//   - at most one authorised payment per order, a refund for every cancelled paid order, and an
//     authorised (never refunded) payment for every completed order
//   - reservations agree with orders: none held for a terminal order, shipped for completed ones
//   - one email per triggering event, none left half-sent; an email whose delivery a crash
//     interrupted and nobody can confirm (`unknown`, SMTP) keeps "at most one" and is a note
//   - no event left in any service's outbox
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace velocity::checker {

struct Check {
  std::string name;
  bool ok = true;
  std::vector<std::string> violations;  // the first few, in plain words
  size_t violation_count = 0;
  std::string detail;                    // what was looked at, e.g. "64 SKUs"
  std::vector<std::string> notes;        // what holds but deserves an operator's look
};

struct Verdict {
  std::vector<Check> checks;
  bool ok() const;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Reads <data_dir>/<service>/<service>.db for each service; a missing database is a violation.
Verdict check_store(const std::filesystem::path& data_dir);

}  // namespace velocity::checker
