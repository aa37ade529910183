// An in-memory Env for tests. Each file keeps its current content and the content as of its
// last sync, so drop_unsynced() simulates a power loss: everything not fdatasync'ed vanishes.
// Creations, renames and removals are modelled as durable at once (a simplification: real
// directories need sync_dir, which the log calls anyway). Writes and syncs can be made to fail.
// Thread-safe: one mutex guards all state.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "broker/storage/env.h"

namespace velocity::storage {

class FakeEnv final : public Env {
 public:
  struct Node {
    std::vector<std::byte> content;
    std::vector<std::byte> synced;
    uint64_t reserved_end = 0;  // end of the blocks reserved by File::reserve
  };
  struct State {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<Node>> files;
    std::set<std::string> dirs;
    bool fail_writes = false;
    bool fail_syncs = false;
    int file_syncs = 0;
    std::function<void()> before_sync;
  };

  FakeEnv() : state_(std::make_shared<State>()) {}

  Result<std::shared_ptr<File>> open_file(const std::string& path, OpenMode mode) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
  Result<void> remove(const std::string& path) override;
  Result<bool> exists(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& dir) override;
  Result<void> create_dirs(const std::string& dir) override;
  Result<void> sync_dir(const std::string& dir) override;

  // Power loss: every file's content reverts to what it held at its last sync.
  void drop_unsynced();
  // What a power loss now would leave, as a separate FakeEnv: the same files and directories,
  // each holding only its synced content. Callable from a before_sync hook.
  FakeEnv crash_image() const;
  // While on, writes store only the first half of their data and fail (a torn write).
  void fail_writes(bool on);
  // While on, syncs fail and persist nothing.
  void fail_syncs(bool on);
  // Runs `hook` at the start of every File::sync, outside the state's lock, on the syncing
  // thread (e.g. to see how many syncs are in flight at once).
  void before_sync(std::function<void()> hook);
  // How many File::sync calls succeeded so far.
  int file_syncs() const;

  // Direct access for crash tests; set_content makes the bytes durable too.
  std::vector<std::byte> content(const std::string& path) const;
  void set_content(const std::string& path, std::vector<std::byte> bytes);
  std::vector<std::string> file_paths() const;
  // Bytes reserved past the end of the file's content (0 if none or no such file).
  uint64_t reserved_past_end(const std::string& path) const;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace velocity::storage
