// The storefront in a real browser: the whole store started as processes (Store), then the
// browser suite (tests/browser, playwright-core driving Debian's chromium) run against the
// gateway. Screenshots of every step land in build/tests/browser-artifacts.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "e2e/store.h"

namespace velocity::e2e {
namespace {

TEST(BrowserTest, TheStorefrontSuitePassesInChromiumAgainstTheWholeStore) {
  Store store({{"VELOCITY_SHIPPING_DISPATCH_AFTER", "1s"}, {"VELOCITY_SHIPPING_DELIVER_AFTER", "1s"}});
  const std::string url = "http://127.0.0.1:" + std::to_string(store.gateway_port());
  const std::string command = "cd '" VELOCITY_BROWSER_DIR "' && VELOCITY_STOREFRONT_URL='" + url +
                              "' VELOCITY_ARTIFACTS_DIR='" VELOCITY_ARTIFACTS_DIR "' node --test storefront.test.mjs 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << output << "\n--- store log ---\n" << store.log_tail();
  // node --test reports its totals; a suite that ran nothing must not pass.
  EXPECT_NE(output.find("# pass"), std::string::npos) << output;
  EXPECT_NE(output.find("# fail 0"), std::string::npos) << output;
  EXPECT_EQ(output.find("# pass 0\n"), std::string::npos) << output;
  EXPECT_NE(output.find("# skipped 0"), std::string::npos) << output;
}

}  // namespace
}  // namespace velocity::e2e
