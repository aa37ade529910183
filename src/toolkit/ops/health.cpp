#include "velocity/health.h"

#include <exception>

namespace velocity::ops {

void Readiness::add_check(std::string name, Check check) {
  std::lock_guard lock(mutex_);
  checks_.emplace_back(std::move(name), std::move(check));
}

std::shared_ptr<std::atomic<bool>> Readiness::add_flag(std::string name) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  add_check(std::move(name), [flag]() -> Result<void> {
    if (flag->load()) return {};
    return fail(ErrorCode::kClosed, "not ready");
  });
  return flag;
}

Readiness::Report Readiness::evaluate() const {
  std::vector<std::pair<std::string, Check>> checks;
  {
    // Run the checks outside the lock: a slow check must not block registration.
    std::lock_guard lock(mutex_);
    checks = checks_;
  }
  Report report;
  for (const auto& [name, check] : checks) {
    std::string reason;
    try {
      auto result = check();
      if (result) continue;
      reason = result.error().message();
    } catch (const std::exception& e) {
      reason = std::string("exception: ") + e.what();
    } catch (...) {
      reason = "unknown exception";
    }
    report.ready = false;
    report.failing.push_back(Failure{name, std::move(reason)});
  }
  return report;
}

}  // namespace velocity::ops
