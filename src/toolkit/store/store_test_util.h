// Helpers for the store unit tests: a temporary directory; a new database of either engine and
// the fixtures of a case that runs on both; a Publisher fake that records what it accepted and
// can refuse the messages of chosen keys. Test-only; only FakePublisher is thread-safe.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "toolkit/store/postgres_test_server.h"
#include "velocity/bus.h"
#include "velocity/store.h"

namespace velocity {

// Names the engine in test listings and failure messages (instead of the enum's bytes).
inline void PrintTo(SqlDialect engine, std::ostream* out) {
  *out << (engine == SqlDialect::kPostgres ? "Postgres" : "Sqlite");
}

}  // namespace velocity

namespace velocity::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "velocity-store-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    if (!made) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A new, empty database of one engine, made for one test case: a file in a scratch directory
// (SQLite) or a database of its own on the test process's throwaway server (PostgreSQL).
struct ScratchDatabase {
  SqlDialect engine = SqlDialect::kSqlite;
  std::string location;  // the SQLite file's path or the PostgreSQL URL

  // A new connection on each call, as a restarted or a second process would open.
  Result<std::unique_ptr<Database>> connect(DatabaseOptions options = {}) const {
    if (engine == SqlDialect::kPostgres) return Database::connect_postgres(location, options);
    return Database::open(location, options);
  }
};

// A ScratchDatabase of `engine`, the SQLite file in `dir`; fails with the reason when the
// PostgreSQL test server cannot start.
inline Result<ScratchDatabase> create_scratch_database(SqlDialect engine, const ScratchDir& dir) {
  if (engine == SqlDialect::kSqlite)
    return ScratchDatabase{engine, dir.file("store.sqlite").string()};
  auto url = fresh_postgres_database();
  if (!url) return std::unexpected(url.error());
  return ScratchDatabase{engine, *url};
}

// Names the engine of a case parameterised by SqlDialect in test names (".../Sqlite").
inline std::string engine_name(const ::testing::TestParamInfo<SqlDialect>& engine) {
  return ::testing::PrintToString(engine.param);
}

// The fixtures of a case that runs on each engine (TEST_P, instantiated with both SqlDialects)
// and of one that only one engine promises (TEST_F): SetUp calls `Fixture::open(engine)`.
template <typename Fixture>
class OnEachEngine : public Fixture, public ::testing::WithParamInterface<SqlDialect> {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(this->open(this->GetParam())); }
};

template <typename Fixture, SqlDialect kEngine>
class OnEngine : public Fixture {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(this->open(kEngine)); }
};

// publish() fails the whole call when it holds a message of a key with refusals left (each
// failed call uses one refusal), and otherwise records every message as accepted.
class FakePublisher : public Publisher {
 public:
  void refuse(const std::string& key, int times) {
    std::lock_guard lock(mutex_);
    refusals_[key] = times;
  }
  std::vector<Message> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  // Runs inside publish(), before the outcome is decided (to observe the store mid-publish).
  std::function<void(std::span<const Message>)> on_publish;

  Result<void> publish(std::span<const Message> messages) override {
    if (on_publish) on_publish(messages);
    std::lock_guard lock(mutex_);
    ++calls_;
    for (const auto& m : messages) {
      auto it = refusals_.find(m.key);
      if (it != refusals_.end() && it->second > 0) {
        --it->second;
        return fail(ErrorCode::kTimeout, "fake publisher refuses key " + m.key);
      }
    }
    accepted_.insert(accepted_.end(), messages.begin(), messages.end());
    return {};
  }
  void publish_async(Message message, std::function<void(Result<void>)> done) override {
    done(publish(std::span(&message, 1)));
  }
  Result<void> flush(std::chrono::milliseconds) override { return {}; }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> refusals_;
  std::vector<Message> accepted_;
  int calls_ = 0;
};

}  // namespace velocity::testing
