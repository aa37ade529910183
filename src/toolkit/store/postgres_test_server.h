// Test-only: a throwaway PostgreSQL server. initdb into a fresh temporary directory, then
// postgres listening on a unix socket in that directory only (no TCP port, so parallel test
// processes never collide), stopped and deleted by the destructor. Run as root (initdb and
// postgres refuse root), both run as the user `nobody`. The server is tied to the test process:
// it gets SIGQUIT when that process dies, even by kill -9. shared_postgres() is the one server
// of a test process; its functions are thread-safe.
#pragma once

#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "velocity/result.h"

namespace velocity::testing {

class PostgresTestServer {
 public:
  static Result<std::unique_ptr<PostgresTestServer>> start() {
    auto bin = find_bin_dir();
    if (!bin) return std::unexpected(bin.error());
    std::unique_ptr<PostgresTestServer> server(new PostgresTestServer(*bin));
    if (auto r = server->make_dir(); !r) return std::unexpected(r.error());
    if (auto r = server->init(); !r) return std::unexpected(r.error());
    if (auto r = server->run(); !r) return std::unexpected(r.error());
    return server;
  }

  ~PostgresTestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGINT);  // fast shutdown: roll back sessions, checkpoint, exit
      if (!wait_exit(std::chrono::seconds(30))) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  // A connection URL for `dbname` as the server's superuser.
  std::string url(const std::string& dbname) const {
    return "postgresql:///" + dbname + "?host=" + dir_.string() + "&port=" + std::to_string(kPort) +
           "&user=velocity";
  }

  // Creates a new, empty database and returns its URL.
  Result<std::string> create_database() {
    static std::atomic<int> counter{0};
    const std::string name = "velocity_test_" + std::to_string(++counter);
    PGconn* conn = PQconnectdb(url("postgres").c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* res = PQexec(conn, ("CREATE DATABASE " + name).c_str());
      if (PQresultStatus(res) != PGRES_COMMAND_OK) error = PQresultErrorMessage(res);
      PQclear(res);
    }
    PQfinish(conn);
    if (!error.empty())
      return fail(ErrorCode::kIo, "PostgreSQL test server: create database " + name + ": " + error);
    return url(name);
  }

 private:
  static constexpr int kPort = 5432;  // names the socket file only: the socket directory is ours

  explicit PostgresTestServer(std::filesystem::path bin) : bin_(std::move(bin)) {}

  // The newest of the installed server versions (Debian keeps each in its own directory).
  static Result<std::filesystem::path> find_bin_dir() {
    glob_t found{};
    std::vector<std::filesystem::path> dirs;
    if (::glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &found) == 0) {
      for (size_t i = 0; i < found.gl_pathc; ++i)
        dirs.emplace_back(std::filesystem::path(found.gl_pathv[i]).parent_path());
    }
    ::globfree(&found);
    if (dirs.empty()) {
      return fail(
          ErrorCode::kNotFound,
          "PostgreSQL test server: no server installed (no /usr/lib/postgresql/*/bin/postgres); "
          "run scripts/setup, which installs the postgresql package");
    }
    auto version = [](const std::filesystem::path& bin) {
      return std::atoi(bin.parent_path().filename().c_str());
    };
    return *std::max_element(dirs.begin(), dirs.end(),
                             [&](const auto& a, const auto& b) { return version(a) < version(b); });
  }

  Result<void> make_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "velocity-pg-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      return fail(ErrorCode::kIo, "PostgreSQL test server: mkdtemp " + pattern);
    dir_ = pattern;
    // The socket path must fit in sockaddr_un (107 bytes).
    if (dir_.string().size() > 80) {
      return fail(ErrorCode::kInvalidArgument,
                  "PostgreSQL test server: temporary directory path too long for a socket: " +
                      dir_.string());
    }
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("nobody");
      if (!user)
        return fail(ErrorCode::kNotFound,
                    "PostgreSQL test server: running as root and no user 'nobody'");
      uid_ = user->pw_uid;
      gid_ = user->pw_gid;
      if (::chown(dir_.c_str(), uid_, gid_) != 0) {
        return fail(ErrorCode::kIo,
                    "PostgreSQL test server: chown " + dir_.string() + " to nobody");
      }
    }
    return {};
  }

  Result<void> init() {
    const auto log = dir_ / "initdb.log";
    pid_t pid = spawn({(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U", "velocity",
                       "-A", "trust", "-E", "UTF8", "--locale=C", "-N"},
                      log);
    if (pid < 0) return fail(ErrorCode::kIo, "PostgreSQL test server: cannot start initdb");
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return fail(ErrorCode::kIo,
                  "PostgreSQL test server: initdb failed" + as_user() + ":\n" + tail(log));
    }
    return {};
  }

  Result<void> run() {
    const auto log = dir_ / "postgres.log";
    // Durability is not under test here; fsync=off spares the shared disk.
    pid_ = spawn({(bin_ / "postgres").string(), "-D", (dir_ / "data").string(), "-k", dir_.string(),
                  "-p", std::to_string(kPort), "-c", "listen_addresses=", "-c", "fsync=off", "-c",
                  "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=40"},
                 log, SIGQUIT);
    if (pid_ < 0) return fail(ErrorCode::kIo, "PostgreSQL test server: cannot start postgres");
    const std::string conninfo = url("postgres");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (PQping(conninfo.c_str()) != PQPING_OK) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return fail(ErrorCode::kIo, "PostgreSQL test server: postgres exited at startup" +
                                        as_user() + ":\n" + tail(log));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return fail(ErrorCode::kTimeout,
                    "PostgreSQL test server: not accepting connections after 60 s:\n" + tail(log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return {};
  }

  // fork + exec with output to `log`, as `nobody` when we are root. Everything the child needs
  // is prepared before fork: between fork and exec only async-signal-safe calls are allowed.
  pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& log,
              int death_signal = 0) const {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string log_path = log.string();
    const std::string dir = dir_.string();
    const pid_t parent = ::getpid();
    const bool drop = ::geteuid() == 0;
    pid_t pid = ::fork();
    if (pid != 0) return pid;
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (fd < 0 || null_fd < 0) ::_exit(126);
    ::dup2(null_fd, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    if (drop && (::fchown(fd, uid_, gid_) != 0 || ::setgroups(0, nullptr) != 0 ||
                 ::setgid(gid_) != 0 || ::setuid(uid_) != 0)) {
      ::_exit(126);
    }
    // Set after setuid, which clears it; then make sure the parent did not die meanwhile.
    if (death_signal && (::prctl(PR_SET_PDEATHSIG, death_signal) != 0 || ::getppid() != parent))
      ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }

  bool wait_exit(std::chrono::seconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string as_user() const { return ::geteuid() == 0 ? " (run as user nobody)" : ""; }

  static std::string tail(const std::filesystem::path& log) {
    std::ifstream in(log);
    std::stringstream all;
    all << in.rdbuf();
    std::string text = all.str();
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  std::filesystem::path bin_;
  std::filesystem::path dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  pid_t pid_ = -1;
};

// The server every PostgreSQL test of this process shares, started at first use and stopped when
// the process exits. A failed start is remembered, so every test reports the same reason.
inline Result<PostgresTestServer*> shared_postgres() {
  static std::mutex mutex;
  static std::unique_ptr<PostgresTestServer> server;
  static std::optional<Error> failure;
  std::lock_guard lock(mutex);
  if (server) return server.get();
  if (failure) return std::unexpected(*failure);
  auto started = PostgresTestServer::start();
  if (!started) {
    failure = started.error();
    return std::unexpected(started.error());
  }
  server = std::move(*started);
  return server.get();
}

// A fresh, empty database on the shared server.
inline Result<std::string> fresh_postgres_database() {
  auto server = shared_postgres();
  if (!server) return std::unexpected(server.error());
  return (*server)->create_database();
}

}  // namespace velocity::testing
