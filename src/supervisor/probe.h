// Readiness probes the supervisor uses: a TCP port that accepts, an HTTP GET that answers 200.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace velocity::supervisor {

bool tcp_accepts(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);
// The status code of GET http://host:port/path, or 0 when there is no answer in time.
int http_get_status(const std::string& host, uint16_t port, const std::string& path,
                    std::chrono::milliseconds timeout, std::string* body = nullptr);
// A port that was free a moment ago on 127.0.0.1.
uint16_t free_port();

}  // namespace velocity::supervisor
