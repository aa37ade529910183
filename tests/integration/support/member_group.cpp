#include "support/member_group.h"

#include <thread>

#include <fmt/format.h>

namespace velocity::testing {

Result<MemberGroup> MemberGroup::start(const std::string& bootstrap, const std::string& topic,
                                       const std::string& group, int members,
                                       const MemberOptions& options) {
  auto dir = TempDir::create("velocity-group-members");
  if (!dir) return std::unexpected(dir.error());
  MemberGroup result(std::move(*dir));
  for (int i = 0; i < members; ++i) {
    const std::vector<std::string> argv{
        VELOCITY_GROUP_MEMBER_EXECUTABLE, "--bootstrap", bootstrap, "--topic", topic,
        "--group", group, "--session-timeout-ms", std::to_string(options.session_timeout_ms),
        "--batch", std::to_string(options.batch), "--pause-ms", std::to_string(options.pause_ms)};
    auto child = ChildProcess::spawn(argv, result.dir_.path() / fmt::format("member-{}.out", i),
                                     result.dir_.path() / fmt::format("member-{}.err", i));
    if (!child) return std::unexpected(child.error());
    result.members_.push_back(std::move(*child));
  }
  return result;
}

std::vector<std::vector<MemberEvent>> MemberGroup::logs() const {
  std::vector<std::vector<MemberEvent>> result;
  for (const auto& m : members_) result.push_back(parse_member_log(m->stdout_text()));
  return result;
}

bool MemberGroup::wait_until(
    const std::function<bool(const std::vector<std::vector<MemberEvent>>&)>& done,
    std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done(logs())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done(logs());
}

bool MemberGroup::shares_all_partitions(const std::vector<std::vector<MemberEvent>>& logs,
                                        int partitions, const std::set<std::size_t>& ignored) {
  std::set<std::int32_t> covered;
  std::size_t owned = 0;
  for (std::size_t m = 0; m < logs.size(); ++m) {
    if (ignored.contains(m)) continue;
    const auto current = last_assignment(logs[m]);
    if (current.empty()) return false;
    covered.insert(current.begin(), current.end());
    owned += current.size();
  }
  return owned == static_cast<std::size_t>(partitions) &&
         covered.size() == static_cast<std::size_t>(partitions);
}

Result<void> MemberGroup::stop_all(std::chrono::milliseconds timeout) {
  std::string problems;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!members_[i]->running()) continue;
    auto code = members_[i]->terminate(timeout);
    if (!code) {
      problems += fmt::format("member {}: {}\n", i, code.error().message());
    } else if (*code != 0) {
      problems += fmt::format("member {} exited {}; stderr:\n{}\n", i, *code, members_[i]->stderr_tail());
    }
  }
  if (!problems.empty()) return fail(ErrorCode::kInternal, problems);
  return {};
}

std::string MemberGroup::stderr_tails() const {
  std::string text;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    text += fmt::format("member {} stderr:\n{}\n", i, members_[i]->stderr_tail(10));
  }
  return text;
}

}  // namespace velocity::testing
