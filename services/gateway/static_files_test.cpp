#include "gateway/static_files.h"

#include <gtest/gtest.h>

#include <fstream>

namespace velocity::gateway {
namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() /
            ("gateway-static-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base_);
    root_ = base_ / "web";
    write(root_ / "index.html", "<!doctype html>");
    write(root_ / "app.js", "console.log(1)");
    write(root_ / "style.css", "body{}");
    write(root_ / "images" / "tee.svg", "<svg/>");
    write(root_ / "assets" / "app-1a2b.js", "x");
    write(root_ / "docs" / "index.html", "docs");
    write(root_ / ".env", "SECRET=1");
    write(base_ / "secret.txt", "top secret");
    std::filesystem::create_symlink(base_ / "secret.txt", root_ / "link.txt");
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  std::filesystem::path base_;
  std::filesystem::path root_;
};

TEST(ContentType, KnownExtensions) {
  EXPECT_EQ(content_type_for(".html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for(".js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for(".css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for(".svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for(".PNG"), "image/png");
  EXPECT_EQ(content_type_for(".json"), "application/json");
  EXPECT_EQ(content_type_for(".ico"), "image/x-icon");
  EXPECT_EQ(content_type_for(".exe"), "application/octet-stream");
  EXPECT_EQ(content_type_for(""), "application/octet-stream");
}

TEST_F(StaticFilesTest, RootAndDirectoriesServeTheirIndex) {
  StaticFiles files(root_);
  auto root = files.resolve("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->path.filename(), "index.html");
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(root->cache_control, "no-cache");
  auto docs = files.resolve("/docs/");
  ASSERT_TRUE(docs);
  EXPECT_EQ(docs->path, std::filesystem::canonical(root_ / "docs" / "index.html"));
}

TEST_F(StaticFilesTest, FilesHaveTheirTypeValidatorsAndCaching) {
  StaticFiles files(root_);
  auto js = files.resolve("/app.js?v=3");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->size, 14u);
  EXPECT_EQ(js->cache_control, "public, max-age=300");
  EXPECT_TRUE(js->etag.starts_with("\"") && js->etag.ends_with("\""));
  EXPECT_TRUE(js->last_modified.ends_with(" GMT"));
  EXPECT_EQ(files.resolve("/images/tee.svg")->content_type, "image/svg+xml");
  EXPECT_EQ(files.resolve("/assets/app-1a2b.js")->cache_control,
            "public, max-age=31536000, immutable");
  EXPECT_EQ(files.resolve("/images/te%65.svg")->path.filename(), "tee.svg") << "percent-decoded";
}

TEST_F(StaticFilesTest, UnknownPagesWithoutExtensionGetTheIndex) {
  StaticFiles files(root_);
  auto page = files.resolve("/orders/42");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->path.filename(), "index.html");
  EXPECT_EQ(page->cache_control, "no-cache");
  EXPECT_FALSE(files.resolve("/missing.js")) << "a missing file with an extension is a 404";
  EXPECT_FALSE(files.resolve("/images/missing.png"));
}

TEST_F(StaticFilesTest, TraversalAttemptsNeverLeaveTheRoot) {
  StaticFiles files(root_);
  for (const char* target :
       {"/../secret.txt", "/images/../../secret.txt", "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/etc/passwd", "/..%2fsecret.txt", "/images%2f..%2f..%2fsecret.txt",
        "/..\\secret.txt", "/.env", "/%2eenv", "/link.txt", "/images/tee.svg%00.html",
        "//etc/passwd", "/../../../../etc/passwd"}) {
    auto file = files.resolve(target);
    if (file) {
      // The only acceptable answer is the storefront's own page (client-side routing).
      EXPECT_EQ(file->path, std::filesystem::canonical(root_ / "index.html")) << target;
    }
  }
  EXPECT_FALSE(files.resolve("/../secret.txt"));
  EXPECT_FALSE(files.resolve("/link.txt")) << "a symbolic link out of the root";
  EXPECT_FALSE(files.resolve("/.env")) << "hidden files are not served";
  EXPECT_FALSE(files.resolve("relative/path"));
}

TEST_F(StaticFilesTest, MissingRootMissesEverything) {
  StaticFiles files(base_ / "nowhere");
  EXPECT_FALSE(files.resolve("/"));
  EXPECT_FALSE(files.resolve("/orders"));
}

TEST(Etag, MatchesListsWildcardsAndWeakTags) {
  EXPECT_TRUE(etag_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("\"x\", W/\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("*", "\"a\""));
  EXPECT_FALSE(etag_matches("\"b\"", "\"a\""));
  EXPECT_FALSE(etag_matches("", "\"a\""));
}

}  // namespace
}  // namespace velocity::gateway
