// Test support, header-only: SampleFiller is a message visitor that gives every field present
// in a version a distinct non-default value (or null, where nullable, in nulls mode), so one
// round-trip test covers every (API, version) and every field without hand-written samples.
// The filler owns the record bytes it points Records at; keep it alive with the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "broker/protocol/message.h"

namespace velocity::protocol::testing {

class SampleFiller {
 public:
  SampleFiller(int16_t version, bool flexible, bool nulls) : version_(version), flexible_(flexible), nulls_(nulls) {}

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }

  void i8(const char*, int8_t& x) { x = static_cast<int8_t>(next() % 120 + 1); }
  void i16(const char*, int16_t& x) { x = static_cast<int16_t>(next() % 30000 + 1); }
  void i32(const char*, int32_t& x) { x = static_cast<int32_t>(next() * 1000 + 7); }
  void i64(const char*, int64_t& x) { x = static_cast<int64_t>(next()) * 1'000'000'007LL; }
  void boolean(const char*, bool& x) { x = !x; }
  void uuid(const char*, Uuid& x) {
    for (auto& b : x) b = static_cast<uint8_t>(next());
  }
  void str(const char*, std::string& x) { x = "s" + std::to_string(next()); }
  void nstr(const char* name, std::optional<std::string>& x, bool nullable = true) {
    if (nulls_ && nullable) return x.reset();
    x.emplace();
    str(name, *x);
  }
  void bytes(const char*, Bytes& x) { x.assign(3, static_cast<std::byte>(next())); }
  void nbytes(const char* name, std::optional<Bytes>& x) {
    if (nulls_) return x.reset();
    x.emplace();
    bytes(name, *x);
  }
  void records(const char*, Records& x) {
    if (nulls_) {
      x = Records::null();
      return;
    }
    auto& held = storage_.emplace_back(5, static_cast<std::byte>(next()));
    x = Records::of(held);
  }
  void tagged_fields() {}

  template <typename T>
  void array(const char*, std::vector<T>& x) {
    x.resize(2);
    for (auto& element : x) visit_element(*this, element);
  }
  template <typename T>
  void narray(const char* name, std::optional<std::vector<T>>& x, bool nullable = true) {
    if (nulls_ && nullable) return x.reset();
    x.emplace();
    array(name, *x);
  }

 private:
  uint32_t next() { return ++counter_; }

  int16_t version_;
  bool flexible_;
  bool nulls_;
  uint32_t counter_ = 0;
  std::deque<Bytes> storage_;
};

template <typename Message>
Message sample(SampleFiller& filler) {
  Message message;
  message.visit(filler);
  return message;
}

// Calls fn(std::type_identity<T>{}) for every alternative T of a std::variant.
template <typename Variant, typename Fn>
void for_each_alternative(Fn&& fn) {
  [&]<size_t... I>(std::index_sequence<I...>) {
    (fn(std::type_identity<std::variant_alternative_t<I, Variant>>{}), ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
}

}  // namespace velocity::protocol::testing
