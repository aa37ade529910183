// Event: a CloudEvents 1.0 event carried on the bus in the Kafka protocol binding, binary mode
// (attributes in `ce_*` headers, JSON data as the payload, key = aggregate id), and the typed
// contracts services declare once and share between producer and consumers. Plain values and
// pure functions: thread-safe as values are. Format: docs/toolkit-events.md.
#pragma once

#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "velocity/message.h"
#include "velocity/result.h"

namespace velocity {

// Header names of the binding. Attribute names are lower case, as the spec requires.
inline constexpr std::string_view kCeSpecVersion = "ce_specversion";
inline constexpr std::string_view kCeId = "ce_id";
inline constexpr std::string_view kCeSource = "ce_source";
inline constexpr std::string_view kCeType = "ce_type";
inline constexpr std::string_view kCeTime = "ce_time";
inline constexpr std::string_view kCeSubject = "ce_subject";
inline constexpr std::string_view kContentType = "content-type";
inline constexpr std::string_view kTraceparent = "traceparent";
inline constexpr std::string_view kJsonContentType = "application/json";

struct Event {
  std::string id;       // unique per source; consumers deduplicate by (source, id)
  std::string source;   // the producing service, e.g. "/services/orders"
  std::string type;     // versioned contract name, e.g. "shop.order.placed.v1"
  std::string subject;  // the aggregate the event is about; also the message key
  std::chrono::system_clock::time_point time;
  nlohmann::json data;
  std::optional<std::string> traceparent;  // W3C trace context, carried through every hop
};

// A typed event contract: a struct with a versioned type name and nlohmann JSON conversions.
//   struct OrderPlaced {
//     static constexpr std::string_view kType = "shop.order.placed.v1";
//     std::string order_id; ...
//   };
//   NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderPlaced, order_id, ...)
template <typename T>
concept EventContract = requires(const T& value, nlohmann::json& j) {
  { T::kType } -> std::convertible_to<std::string_view>;
  nlohmann::to_json(j, value);
  j.get<T>();
};

// A time-ordered (version 7) UUID, the default event id: ids drawn later sort later.
std::string new_event_id();

// RFC 3339 in UTC with millisecond precision: "2024-05-01T12:30:00.123Z".
std::string format_rfc3339(std::chrono::system_clock::time_point time);
// Accepts any RFC 3339 timestamp (fraction optional, "Z" or a numeric offset).
[[nodiscard]] Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// Encodes `event` for `topic`. Fails (kInvalidArgument) if id, source or type is empty.
[[nodiscard]] Result<Message> to_message(const Event& event, std::string topic);

// Decodes a delivered message. Errors name the missing or invalid attribute:
// kInvalidArgument for missing/invalid attributes, kUnsupported for a spec version other than
// 1.0 or a non-JSON content type, kCorrupt for data that is not valid JSON.
// Headers that are not CloudEvents attributes (and `traceparent`) are ignored.
[[nodiscard]] Result<Event> from_message(const Message& message);

// A new event of contract T about `subject` (the aggregate id), stamped now with a fresh id.
template <EventContract T>
Event make_event(std::string source, std::string subject, const T& value,
                 std::optional<std::string> traceparent = std::nullopt) {
  Event event;
  event.id = new_event_id();
  event.source = std::move(source);
  event.type = std::string(T::kType);
  event.subject = std::move(subject);
  event.time = std::chrono::system_clock::now();
  nlohmann::to_json(event.data, value);
  event.traceparent = std::move(traceparent);
  return event;
}

// The typed data of `event`: kInvalidArgument if its type is not T's, kCorrupt if the data
// does not convert. Never throws.
template <EventContract T>
[[nodiscard]] Result<T> decode(const Event& event) {
  if (event.type != T::kType) {
    return fail(ErrorCode::kInvalidArgument,
                "event " + event.id + ": type " + event.type + " is not " + std::string(T::kType));
  }
  try {
    return event.data.get<T>();
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kCorrupt, "event " + event.id + " (" + event.type + "): " + e.what());
  }
}

}  // namespace velocity
