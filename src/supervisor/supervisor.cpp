#include "supervisor/supervisor.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <thread>

#include "supervisor/probe.h"

namespace velocity::supervisor {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string wall_time_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace

struct Supervisor::Running {
  Member member;
  std::unique_ptr<Process> process;
  int restarts = 0;
  Clock::time_point started{};
  std::string started_wall;
  std::optional<Clock::time_point> restart_at;  // set while waiting to restart
  std::chrono::milliseconds backoff{0};
  std::string last_exit;
};

Supervisor::Supervisor(std::vector<Member> members, SupervisorOptions options, LogMux& log)
    : options_(std::move(options)), log_(log) {
  for (auto& m : members) {
    auto running = std::make_unique<Running>();
    running->member = std::move(m);
    running->backoff = options_.first_backoff;
    members_.push_back(std::move(running));
  }
  std::stable_sort(members_.begin(), members_.end(),
                   [](const auto& a, const auto& b) { return a->member.stage < b->member.stage; });
}

Supervisor::~Supervisor() {
  stop();
}

Result<void> Supervisor::launch(Running& r) {
  LogMux* log = &log_;
  auto process = Process::spawn(r.member.spec, [log, name = r.member.name, group = r.member.group](
                                                   std::string_view line) { log->child(name, group, line); });
  if (!process) return std::unexpected(process.error());
  std::lock_guard lock(mutex_);
  r.process = std::move(*process);
  r.started = Clock::now();
  r.started_wall = wall_time_now();
  r.restart_at.reset();
  return {};
}

bool Supervisor::ready(const Member& m) const {
  if (m.port == 0) return true;
  if (m.ready_path.empty()) return tcp_accepts(m.host, m.port, 500ms);
  return http_get_status(m.host, m.port, m.ready_path, 1000ms) == 200;
}

Result<void> Supervisor::start(const std::atomic<bool>& cancelled) {
  size_t i = 0;
  while (i < members_.size()) {
    const int stage = members_[i]->member.stage;
    size_t end = i;
    while (end < members_.size() && members_[end]->member.stage == stage) ++end;
    for (size_t k = i; k < end; ++k) {
      if (auto launched = launch(*members_[k]); !launched) {
        stop();
        return fail(launched.error().code, "cannot start " + members_[k]->member.name + ": " +
                                               launched.error().message());
      }
    }
    write_state();
    const auto deadline = Clock::now() + options_.ready_timeout;
    std::vector<bool> done(end - i, false);
    for (;;) {
      size_t waiting = 0;
      for (size_t k = i; k < end; ++k) {
        if (done[k - i]) continue;
        auto& r = *members_[k];
        if (auto exit = r.process->poll()) {
          const std::string name = r.member.name;
          const std::string why = exit->describe();
          stop();
          return fail(ErrorCode::kInternal, name + " " + why + " while starting (see its log lines above)");
        }
        if (ready(r.member)) {
          done[k - i] = true;
          log_.note(r.member.name + " is ready (pid " + std::to_string(r.process->pid()) + ")");
        } else {
          ++waiting;
        }
      }
      if (waiting == 0) break;
      if (cancelled.load()) {
        stop();
        return fail(ErrorCode::kClosed, "start-up interrupted");
      }
      if (Clock::now() > deadline) {
        std::string late;
        for (size_t k = i; k < end; ++k)
          if (!done[k - i]) late += (late.empty() ? "" : ", ") + members_[k]->member.name;
        stop();
        return fail(ErrorCode::kTimeout, "not ready after " +
                                             std::to_string(options_.ready_timeout.count() / 1000) + "s: " + late);
      }
      std::this_thread::sleep_for(100ms);
    }
    i = end;
  }
  write_state();
  return {};
}

void Supervisor::supervise(const std::atomic<bool>& stop_requested) {
  while (!stop_requested.load()) {
    bool changed = false;
    for (auto& rp : members_) {
      auto& r = *rp;
      if (r.restart_at) {
        if (Clock::now() < *r.restart_at) continue;
        if (auto launched = launch(r); !launched) {
          log_.note("cannot restart " + r.member.name + ": " + launched.error().message());
          std::lock_guard lock(mutex_);
          r.restart_at = Clock::now() + r.backoff;
        } else {
          log_.note(r.member.name + " restarted (pid " + std::to_string(r.process->pid()) + ", restart #" +
                    std::to_string(r.restarts) + ")");
        }
        changed = true;
        continue;
      }
      if (!r.process) continue;
      const auto exit = r.process->poll();
      if (!exit) continue;
      std::lock_guard lock(mutex_);
      if (Clock::now() - r.started > options_.stable_after) r.backoff = options_.first_backoff;
      ++r.restarts;
      r.last_exit = exit->describe();
      r.restart_at = Clock::now() + r.backoff;
      log_.note(r.member.name + " " + r.last_exit + "; restarting in " + std::to_string(r.backoff.count()) + " ms");
      r.backoff = std::min(options_.max_backoff, r.backoff * 2);
      changed = true;
    }
    if (changed) write_state();
    std::this_thread::sleep_for(100ms);
  }
}

void Supervisor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    auto& r = **it;
    if (!r.process) continue;
    if (r.process->poll()) continue;
    const auto began = Clock::now();
    const auto exit = r.process->stop(options_.stop_grace);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
    log_.note("stopped " + r.member.name + " (" + exit.describe() + ", " + std::to_string(took.count()) + " ms)");
  }
  for (auto& r : members_) r->process.reset();
  if (!options_.state_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(options_.state_file, ec);
  }
}

int Supervisor::restarts(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const auto& r : members_)
    if (r->member.name == name) return r->restarts;
  return -1;
}

pid_t Supervisor::pid(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const auto& r : members_)
    if (r->member.name == name && r->process && !r->restart_at) return r->process->pid();
  return 0;
}

nlohmann::json Supervisor::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json processes = nlohmann::json::array();
  for (const auto& r : members_) {
    nlohmann::json p{{"name", r->member.name},
                     {"service", r->member.group},
                     {"pid", r->process && !r->restart_at ? r->process->pid() : 0},
                     {"restarts", r->restarts},
                     {"started_at", r->started_wall},
                     {"host", r->member.host},
                     {"port", r->member.port},
                     {"ready_path", r->member.ready_path}};
    if (!r->last_exit.empty()) p["last_exit"] = r->last_exit;
    processes.push_back(std::move(p));
  }
  nlohmann::json state = options_.state_extra;
  state["supervisor_pid"] = ::getpid();
  state["processes"] = std::move(processes);
  return state;
}

void Supervisor::write_state() const {
  if (options_.state_file.empty()) return;
  const auto temp = options_.state_file.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << state().dump(2) << '\n';
    if (!out) return;
  }
  std::error_code ec;
  std::filesystem::rename(temp, options_.state_file, ec);
}

}  // namespace velocity::supervisor
