// Helpers for the store unit tests: a temporary directory and a Publisher fake that records
// what it accepted and can refuse the messages of chosen keys. Test-only; not thread-safe
// except FakePublisher, which is.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "velocity/bus.h"

namespace velocity::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "velocity-store-XXXXXX").string();
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
