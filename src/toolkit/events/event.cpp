#include "velocity/event.h"

#include <fmt/format.h>

#include <cctype>
#include <random>

namespace velocity {
namespace {

using std::chrono::system_clock;

bool is_json_content_type(std::string_view value) {
  // Parameters such as "; charset=utf-8" do not change the format; "+json" suffixes are JSON.
  const auto semi = value.find(';');
  std::string type(value.substr(0, semi));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == kJsonContentType || type.ends_with("+json");
}

Result<std::string_view> required(const Message& message, std::string_view name) {
  const auto value = message.header(name);
  if (!value) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}@{}/{}: missing header {}", message.topic, message.partition,
                            message.offset, name));
  }
  if (value->empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}@{}/{}: empty header {}", message.topic, message.partition,
                            message.offset, name));
  }
  return *value;
}

// Reads `width` digits at `pos`; nullopt unless all are digits.
std::optional<int> digits(std::string_view s, size_t pos, size_t width) {
  if (pos + width > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string new_event_id() {
  // Version 7, RFC 9562: the Unix time in milliseconds first, so ids drawn later sort later
  // and a database indexing them (the inbox) appends near one end instead of touching a random
  // page per event. Within one millisecond a thread counts up in the 12-bit rand_a field,
  // starting at a random point in its lower half; past the top it borrows the next millisecond.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  thread_local uint64_t last_ms = 0;
  thread_local uint64_t counter = 0;
  const auto now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now().time_since_epoch()).count());
  if (now_ms > last_ms) {
    last_ms = now_ms;
    counter = rng() & 0x7FF;
  } else if (++counter > 0xFFF) {
    ++last_ms;
    counter = rng() & 0x7FF;
  }
  const uint64_t h = (last_ms << 16) | 0x7000ULL | counter;
  const uint64_t l = (rng() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  // 8-4-4-4-12 hex digits; by hand, as every event pays for it.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  size_t pos = 0;
  const auto put = [&](uint64_t bits, int digits) {
    for (int d = digits - 1; d >= 0; --d) id[pos++] = kHex[(bits >> (4 * d)) & 0xF];
  };
  put(h >> 32, 8);
  ++pos;
  put(h >> 16, 4);
  ++pos;
  put(h, 4);
  ++pos;
  put(l >> 48, 4);
  ++pos;
  put(l, 12);
  return id;
}

std::string format_rfc3339(system_clock::time_point time) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(ms);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{ms - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year, static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(),
                       hms.seconds().count(), hms.subseconds().count());
  }
  // "YYYY-MM-DDTHH:MM:SS.mmmZ" by hand, as every event pays for it.
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&](size_t end, int64_t value, int digits) {
    for (int d = 0; d < digits; ++d, value /= 10) out[end - static_cast<size_t>(d)] = static_cast<char>('0' + value % 10);
  };
  put(3, year, 4);
  put(6, static_cast<unsigned>(ymd.month()), 2);
  put(9, static_cast<unsigned>(ymd.day()), 2);
  put(12, hms.hours().count(), 2);
  put(15, hms.minutes().count(), 2);
  put(18, hms.seconds().count(), 2);
  put(22, hms.subseconds().count(), 3);
  return out;
}

Result<system_clock::time_point> parse_rfc3339(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("timestamp \"{}\" is not RFC 3339: {}", s, why));
  };
  const auto year = digits(s, 0, 4), month = digits(s, 5, 2), mday = digits(s, 8, 2);
  const auto hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (!year || !month || !mday || !hour || !minute || !second || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return bad("expected YYYY-MM-DDTHH:MM:SS");
  }
  const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                        std::chrono::month{static_cast<unsigned>(*month)},
                                        std::chrono::day{static_cast<unsigned>(*mday)}};
  // Second 60 is a leap second; system_clock has none, so it folds into the next second.
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 60) return bad("field out of range");
  size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t scale = 100'000'000;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      fraction += std::chrono::nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad("empty fraction");
  }
  std::chrono::minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || s[pos + 3] != ':' || *oh > 23 || *om > 59) return bad("invalid offset");
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return bad("missing time zone");
  }
  if (pos != s.size()) return bad("trailing characters");
  const auto local = std::chrono::sys_days{ymd} + std::chrono::hours(*hour) +
                     std::chrono::minutes(*minute) + std::chrono::seconds(*second) + fraction;
  return std::chrono::time_point_cast<system_clock::duration>(local - offset);
}

Result<Message> to_message(const Event& event, std::string topic) {
  for (const auto& [name, value] : {std::pair{"id", &event.id}, std::pair{"source", &event.source},
                                    std::pair{"type", &event.type}}) {
    if (value->empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("event for {}: attribute {} is empty", topic, name));
    }
  }
  Message m;
  m.topic = std::move(topic);
  m.key = event.subject;
  m.payload = event.data.dump();
  m.headers = {{std::string(kCeSpecVersion), "1.0"},
               {std::string(kCeId), event.id},
               {std::string(kCeSource), event.source},
               {std::string(kCeType), event.type},
               {std::string(kCeTime), format_rfc3339(event.time)},
               {std::string(kContentType), std::string(kJsonContentType)}};
  if (!event.subject.empty()) m.headers.push_back({std::string(kCeSubject), event.subject});
  if (event.traceparent) m.headers.push_back({std::string(kTraceparent), *event.traceparent});
  return m;
}

Result<Event> from_message(const Message& message) {
  const auto where = [&] {
    return fmt::format("{}@{}/{}", message.topic, message.partition, message.offset);
  };
  auto spec = required(message, kCeSpecVersion);
  if (!spec) return std::unexpected(spec.error());
  if (*spec != "1.0") {
    return fail(ErrorCode::kUnsupported,
                fmt::format("{}: ce_specversion \"{}\" is not 1.0", where(), *spec));
  }
  Event event;
  for (const auto& [name, out] : {std::pair{kCeId, &event.id}, std::pair{kCeSource, &event.source},
                                  std::pair{kCeType, &event.type}}) {
    auto value = required(message, name);
    if (!value) return std::unexpected(value.error());
    *out = std::string(*value);
  }
  if (const auto time = message.header(kCeTime)) {
    auto parsed = parse_rfc3339(*time);
    if (!parsed) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: ce_time: {}", where(), parsed.error().context));
    }
    event.time = *parsed;
  }
  // The binding maps the subject to its own header; producers that leave it out still key
  // their messages by aggregate id, so the key stands in.
  event.subject = std::string(message.header(kCeSubject).value_or(message.key));
  if (const auto type = message.header(kContentType); type && !is_json_content_type(*type)) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("{}: content-type \"{}\" is not JSON", where(), *type));
  }
  if (const auto trace = message.header(kTraceparent)) event.traceparent = std::string(*trace);
  if (!message.payload.empty()) {
    event.data = nlohmann::json::parse(message.payload, nullptr, /*allow_exceptions=*/false);
    if (event.data.is_discarded()) {
      return fail(ErrorCode::kCorrupt, fmt::format("{}: event {} ({}): data is not valid JSON",
                                                   where(), event.id, event.type));
    }
  }
  return event;
}

}  // namespace velocity
