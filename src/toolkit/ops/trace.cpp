#include "velocity/trace.h"

#include <random>

namespace velocity::trace {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr size_t kVersion00Length = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

thread_local std::optional<TraceContext> current_context;

int hex_value(char c) {
  // The specification allows lowercase only; uppercase is a different (invalid) header.
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <size_t N>
bool parse_hex(std::string_view text, std::array<uint8_t, N>& out) {
  if (text.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& bytes) {
  std::string out;
  out.reserve(2 * N);
  for (uint8_t b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0f]);
  }
  return out;
}

template <size_t N>
bool all_zero(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

template <size_t N>
void fill_random_nonzero(std::array<uint8_t, N>& bytes) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  do {
    for (size_t i = 0; i < N; i += 8) {
      uint64_t word = engine();
      for (size_t j = i; j < N && j < i + 8; ++j) {
        bytes[j] = static_cast<uint8_t>(word);
        word >>= 8;
      }
    }
  } while (all_zero(bytes));
}

Result<TraceContext> invalid(std::string_view header, std::string_view why) {
  return fail(ErrorCode::kInvalidArgument,
              "traceparent '" + std::string(header.substr(0, 64)) + "': " + std::string(why));
}

}  // namespace

std::string TraceContext::trace_id_hex() const {
  return to_hex(trace_id);
}
std::string TraceContext::parent_id_hex() const {
  return to_hex(parent_id);
}

Result<TraceContext> parse_traceparent(std::string_view header) {
  if (header.size() < kVersion00Length) return invalid(header, "too short");
  std::array<uint8_t, 1> version{};
  if (!parse_hex(header.substr(0, 2), version))
    return invalid(header, "version is not two lowercase hex digits");
  if (version[0] == 0xff) return invalid(header, "version ff is forbidden");
  if (version[0] == 0x00 && header.size() != kVersion00Length)
    return invalid(header, "version 00 has trailing data");
  if (header.size() > kVersion00Length && header[kVersion00Length] != '-') {
    return invalid(header, "data after the flags must start with '-'");
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-')
    return invalid(header, "fields not separated by '-'");
  TraceContext context;
  if (!parse_hex(header.substr(3, 32), context.trace_id))
    return invalid(header, "trace id is not 32 lowercase hex digits");
  if (!parse_hex(header.substr(36, 16), context.parent_id)) {
    return invalid(header, "parent id is not 16 lowercase hex digits");
  }
  std::array<uint8_t, 1> flags{};
  if (!parse_hex(header.substr(53, 2), flags))
    return invalid(header, "flags are not two lowercase hex digits");
  if (all_zero(context.trace_id)) return invalid(header, "trace id is all zeros");
  if (all_zero(context.parent_id)) return invalid(header, "parent id is all zeros");
  context.flags = flags[0];
  return context;
}

std::string format_traceparent(const TraceContext& context) {
  std::string out = "00-";
  out += to_hex(context.trace_id);
  out += '-';
  out += to_hex(context.parent_id);
  out += '-';
  out += to_hex(std::array<uint8_t, 1>{context.flags});
  return out;
}

TraceContext new_root(bool sampled) {
  TraceContext context;
  fill_random_nonzero(context.trace_id);
  fill_random_nonzero(context.parent_id);
  context.flags = sampled ? 0x01 : 0x00;
  return context;
}

TraceContext child_of(const TraceContext& parent) {
  TraceContext child = parent;
  do {
    fill_random_nonzero(child.parent_id);
  } while (child.parent_id == parent.parent_id);
  return child;
}

std::optional<TraceContext> extract(const Message& message) {
  const auto header = message.header(kTraceparentHeader);
  if (!header) return std::nullopt;
  auto parsed = parse_traceparent(*header);
  if (!parsed) return std::nullopt;
  return *parsed;
}

void inject(Message& message, const TraceContext& context) {
  message.set_header(kTraceparentHeader, format_traceparent(context));
}

TraceContext continue_from(const Message& incoming) {
  if (auto parent = extract(incoming)) return child_of(*parent);
  return new_root();
}

std::optional<TraceContext> current() {
  return current_context;
}

Scope::Scope(const TraceContext& context) : previous_(current_context) {
  current_context = context;
}

Scope::~Scope() {
  current_context = previous_;
}

}  // namespace velocity::trace
