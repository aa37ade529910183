// MemberGroup: several velocity-test-group-member processes in one consumer group on one topic,
// their logs in a temporary directory, and bounded waits on what the logs show. Killing one
// member (kill -9) or stopping all (SIGTERM) is up to the test. Not thread-safe: one test
// thread drives it; the member processes die with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "support/child_process.h"
#include "support/group_log.h"
#include "support/temp_dir.h"

namespace velocity::testing {

struct MemberOptions {
  int session_timeout_ms = 6000;
  int batch = 500;    // messages per commit
  int pause_ms = 0;   // simulated processing time per batch, to keep a stream going
};

class MemberGroup {
 public:
  [[nodiscard]] static Result<MemberGroup> start(const std::string& bootstrap,
                                                 const std::string& topic,
                                                 const std::string& group, int members,
                                                 const MemberOptions& options);

  std::size_t size() const { return members_.size(); }
  ChildProcess& member(std::size_t index) { return *members_[index]; }
  // Each member's parsed log, as written so far.
  std::vector<std::vector<MemberEvent>> logs() const;
  // Polls the logs every 50 ms until `done(logs)` holds or `timeout` passes.
  bool wait_until(const std::function<bool(const std::vector<std::vector<MemberEvent>>&)>& done,
                  std::chrono::milliseconds timeout) const;
  // True when the running members' current assignments are non-empty, disjoint and cover
  // partitions 0..partitions-1 (members listed in `ignored` are left out).
  static bool shares_all_partitions(const std::vector<std::vector<MemberEvent>>& logs,
                                    int partitions, const std::set<std::size_t>& ignored = {});
  // SIGTERMs every running member; returns an error naming any that did not exit 0 in time.
  [[nodiscard]] Result<void> stop_all(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // stderr tails of all members, for failure messages.
  std::string stderr_tails() const;

 private:
  explicit MemberGroup(TempDir dir) : dir_(std::move(dir)) {}

  TempDir dir_;
  std::vector<std::unique_ptr<ChildProcess>> members_;
};

}  // namespace velocity::testing
