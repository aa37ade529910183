// Message: what travels on the bus — a key, a payload and headers, plus where the bus put it
// (topic, partition, offset) once it was delivered. A plain value; thread-safe as values are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace velocity {

struct Header {
  std::string name;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};

struct Message {
  std::string topic;
  // Messages with the same key stay in order: the aggregate id (an order id, a user id).
  std::string key;
  std::string payload;
  std::vector<Header> headers;

  // Filled in on delivery; -1 before.
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;

  // The first header with this name, if any.
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.name == name) return std::string_view(h.value);
    }
    return std::nullopt;
  }
  // Replaces every header of this name with one holding `value`.
  void set_header(std::string_view name, std::string value) {
    std::erase_if(headers, [&](const Header& h) { return h.name == name; });
    headers.push_back(Header{std::string(name), std::move(value)});
  }
};

}  // namespace velocity
