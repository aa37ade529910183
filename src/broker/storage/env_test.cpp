#include "broker/storage/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "broker/storage/fake_env.h"

namespace velocity::storage {
namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> out(s.size());
  std::transform(s.begin(), s.end(), out.begin(), [](char c) { return static_cast<std::byte>(c); });
  return out;
}

// The same contract checks run against both Envs.
void check_basic_contract(Env& env, const std::string& dir) {
  ASSERT_TRUE(env.create_dirs(dir + "/a/b"));
  auto file = env.open_file(dir + "/a/b/f", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->write_at(0, bytes_of("hello world")));
  ASSERT_TRUE((*file)->write_at(6, bytes_of("there")));
  EXPECT_EQ((*file)->size().value(), 11u);
  std::vector<std::byte> out(20);
  EXPECT_EQ((*file)->read_at(0, out).value(), 11u);
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + 11), bytes_of("hello there"));
  ASSERT_TRUE((*file)->sync());
  ASSERT_TRUE((*file)->truncate(5));
  EXPECT_EQ((*file)->size().value(), 5u);
  ASSERT_TRUE(env.rename(dir + "/a/b/f", dir + "/a/b/g"));
  EXPECT_FALSE(env.exists(dir + "/a/b/f").value());
  EXPECT_TRUE(env.exists(dir + "/a/b/g").value());
  EXPECT_EQ(env.list_dir(dir + "/a/b").value(), std::vector<std::string>{"g"});
  // A removed file stays readable through handles opened before.
  ASSERT_TRUE(env.remove(dir + "/a/b/g"));
  EXPECT_EQ((*file)->read_at(0, out).value(), 5u);
  EXPECT_EQ(env.open_file(dir + "/a/b/g", OpenMode::kExisting).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(env.sync_dir(dir + "/a/b"));
}

TEST(PosixEnv, HonoursTheEnvContract) {
  auto dir =
      std::filesystem::temp_directory_path() / ("velocity-env-" + std::to_string(::getpid()));
  check_basic_contract(posix_env(), dir.string());
  EXPECT_GE(
      posix_env().open_file(dir.string() + "/x", OpenMode::kCreateOrOpen).value()->native_handle(),
      0);
  std::filesystem::remove_all(dir);
}

TEST(FakeEnv, HonoursTheEnvContract) {
  FakeEnv env;
  check_basic_contract(env, "/data");
}

TEST(FakeEnv, DropUnsyncedKeepsOnlySyncedContent) {
  FakeEnv env;
  ASSERT_TRUE(env.create_dirs("/d"));
  auto file = env.open_file("/d/f", OpenMode::kCreateOrOpen).value();
  ASSERT_TRUE(file->write_at(0, bytes_of("durable")));
  ASSERT_TRUE(file->sync());
  ASSERT_TRUE(file->write_at(7, bytes_of("-lost")));
  env.drop_unsynced();
  EXPECT_EQ(env.content("/d/f"), bytes_of("durable"));
}

TEST(FakeEnv, InjectedWriteFailureLeavesATornWrite) {
  FakeEnv env;
  ASSERT_TRUE(env.create_dirs("/d"));
  auto file = env.open_file("/d/f", OpenMode::kCreateOrOpen).value();
  env.fail_writes(true);
  auto r = file->write_at(0, bytes_of("abcdefgh"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(env.content("/d/f"), bytes_of("abcd"));
}

TEST(FakeEnv, InjectedSyncFailurePersistsNothing) {
  FakeEnv env;
  ASSERT_TRUE(env.create_dirs("/d"));
  auto file = env.open_file("/d/f", OpenMode::kCreateOrOpen).value();
  ASSERT_TRUE(file->write_at(0, bytes_of("abc")));
  env.fail_syncs(true);
  EXPECT_FALSE(file->sync());
  env.drop_unsynced();
  EXPECT_TRUE(env.content("/d/f").empty());
  EXPECT_EQ(env.file_syncs(), 0);
}

TEST(WriteFileAtomically, ReplacesContentAndLeavesNoTemporary) {
  FakeEnv env;
  ASSERT_TRUE(env.create_dirs("/d"));
  ASSERT_TRUE(write_file_atomically(env, "/d", "cp", bytes_of("one"), true));
  ASSERT_TRUE(write_file_atomically(env, "/d", "cp", bytes_of("two"), true));
  EXPECT_EQ(read_whole_file(env, "/d/cp").value(), bytes_of("two"));
  EXPECT_EQ(env.list_dir("/d").value(), std::vector<std::string>{"cp"});
}

}  // namespace
}  // namespace velocity::storage
