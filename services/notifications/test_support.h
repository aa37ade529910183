// What the notifications tests share: an HTTP client for the service's routes, a bounded wait,
// a quoted-printable decoder and the topics the service consumes, created on a MemoryBus.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shop/events.h"
#include "toolkit/service/test_kit.h"
#include "velocity/memory_bus.h"

namespace notifications::testing {

using namespace std::chrono_literals;

using Http = velocity::testing::HttpReply;

inline Http http_get(uint16_t port, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return velocity::testing::http(port, "GET", target, {}, headers);
}

// Polls `done` until it holds or `bound` passes; the bound only keeps a broken run finite.
template <typename F>
bool eventually(F done, std::chrono::milliseconds bound = 20s) {
  return velocity::testing::eventually(std::move(done), bound);
}

// Decodes a quoted-printable body (soft line breaks and =XX escapes); CRLF becomes '\n'.
inline std::string decode_quoted_printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=' && text.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else if (text[i] == '=' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += '\n';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Every topic the service consumes, with its retry tiers and dead letters, and the one it
// publishes on.
inline void create_topics(velocity::MemoryBus& bus) {
  for (std::string_view topic :
       {shop::topics::kUsers, shop::topics::kOrders, shop::topics::kShipping}) {
    const std::string name(topic);
    (void)bus.create_topic(name, 2);
    for (int tier = 1; tier <= 3; ++tier)
      (void)bus.create_topic(name + ".retry." + std::to_string(tier), 2);
    (void)bus.create_topic(name + ".dlq", 1);
  }
  (void)bus.create_topic(std::string(shop::topics::kNotifications), 2);
}

}  // namespace notifications::testing
