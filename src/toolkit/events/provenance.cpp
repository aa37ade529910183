#include "toolkit/events/provenance.h"

#include <charconv>

#include "velocity/dead_letter.h"
#include "velocity/event.h"

namespace velocity::events {

std::optional<int64_t> integer_header(const Message& message, std::string_view name) {
  const auto text = message.header(name);
  if (!text) return std::nullopt;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

Provenance after_failure(const Message& delivered, int attempts, const Error& error,
                         std::chrono::system_clock::time_point now) {
  Provenance p;
  p.last_failure = now;
  p.error = error.message();
  const auto original = delivered.header(kOriginalTopicHeader);
  if (!original) {
    p.original_topic = delivered.topic;
    p.original_partition = delivered.partition;
    p.original_offset = delivered.offset;
    p.attempts = attempts;
    p.first_failure = now;
    return p;
  }
  // Headers written by our own router; if another producer mangled them, keep what parses
  // rather than lose the event.
  p.original_topic = std::string(*original);
  p.original_partition =
      static_cast<int32_t>(integer_header(delivered, kOriginalPartitionHeader).value_or(-1));
  p.original_offset = integer_header(delivered, kOriginalOffsetHeader).value_or(-1);
  p.attempts = static_cast<int>(integer_header(delivered, kAttemptsHeader).value_or(0)) + attempts;
  p.first_failure = now;
  if (const auto first = delivered.header(kFirstFailureHeader)) {
    if (auto parsed = parse_rfc3339(*first)) p.first_failure = *parsed;
  }
  return p;
}

void strip_provenance(Message& message) {
  std::erase_if(message.headers, [](const Header& h) {
    return h.name == kOriginalTopicHeader || h.name == kOriginalPartitionHeader ||
           h.name == kOriginalOffsetHeader || h.name == kErrorHeader ||
           h.name == kAttemptsHeader || h.name == kFirstFailureHeader ||
           h.name == kLastFailureHeader || h.name == kRetryDueHeader ||
           h.name == kRedriveCountHeader;
  });
}

Message with_provenance(const Message& delivered, const Provenance& provenance, std::string topic,
                        int64_t due_ms) {
  Message m;
  m.topic = std::move(topic);
  m.key = delivered.key;
  m.payload = delivered.payload;
  m.headers = delivered.headers;
  const auto redrives = delivered.header(kRedriveCountHeader);
  const std::optional<std::string> redrive_count =
      redrives ? std::optional<std::string>(*redrives) : std::nullopt;
  strip_provenance(m);
  m.headers.push_back({std::string(kOriginalTopicHeader), provenance.original_topic});
  m.headers.push_back(
      {std::string(kOriginalPartitionHeader), std::to_string(provenance.original_partition)});
  m.headers.push_back(
      {std::string(kOriginalOffsetHeader), std::to_string(provenance.original_offset)});
  m.headers.push_back({std::string(kErrorHeader), provenance.error});
  m.headers.push_back({std::string(kAttemptsHeader), std::to_string(provenance.attempts)});
  m.headers.push_back({std::string(kFirstFailureHeader), format_rfc3339(provenance.first_failure)});
  m.headers.push_back({std::string(kLastFailureHeader), format_rfc3339(provenance.last_failure)});
  if (due_ms >= 0) m.headers.push_back({std::string(kRetryDueHeader), std::to_string(due_ms)});
  if (redrive_count) m.headers.push_back({std::string(kRedriveCountHeader), *redrive_count});
  return m;
}

}  // namespace velocity::events
