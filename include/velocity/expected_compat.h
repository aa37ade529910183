// velocity::compat::expected / unexpected: the part of C++23 std::expected that Velocity uses,
// for standard libraries without <expected> (libstdc++ 12 under clang 14, which builds the fuzz
// targets). result.h takes it only when __cpp_lib_expected is undefined; values are as
// thread-safe as the T and E they hold.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <version>

namespace velocity::compat {

template <typename E>
class unexpected;
template <typename T, typename E>
class expected;
struct unexpect_t {
  explicit unexpect_t() = default;
};
inline constexpr unexpect_t unexpect{};

template <typename X>
inline constexpr bool kIsExpectedOrUnexpected = false;
template <typename T, typename E>
inline constexpr bool kIsExpectedOrUnexpected<expected<T, E>> = true;
template <typename E>
inline constexpr bool kIsExpectedOrUnexpected<unexpected<E>> = true;

// An argument that builds a T (or an E) by itself, not a tag nor an expected or unexpected
// that must take its own constructor instead.
template <typename U, typename T>
concept PlainArgumentFor =
    !std::is_same_v<std::remove_cvref_t<U>, std::in_place_t> &&
    !std::is_same_v<std::remove_cvref_t<U>, unexpect_t> &&
    !kIsExpectedOrUnexpected<std::remove_cvref_t<U>> && std::is_constructible_v<T, U>;

// A value to compare a held value with; comparing with an expected or unexpected means more.
template <typename X>
concept PlainValue = !kIsExpectedOrUnexpected<X>;

template <typename E>
class unexpected {
 public:
  template <PlainArgumentFor<E> Err = E>
  constexpr explicit unexpected(Err&& error) : error_(std::forward<Err>(error)) {}

  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }

  template <typename E2>
  friend constexpr bool operator==(const unexpected& x, const unexpected<E2>& y) {
    return x.error() == y.error();
  }

 private:
  E error_;
};

template <typename E>
unexpected(E) -> unexpected<E>;

template <typename E>
class bad_expected_access : public std::exception {
 public:
  explicit bad_expected_access(E error) : error_(std::move(error)) {}
  const char* what() const noexcept override { return "expected holds an error, not a value"; }
  const E& error() const& noexcept { return error_; }

 private:
  E error_;
};

// Holds either a T (index 0) or an E (index 1). A variant gives copy, move and destruction
// exactly as T and E allow, also when T and E are the same type. Reading the side that is not
// held throws (std::bad_variant_access) instead of being undefined as in std::expected.
template <typename T, typename E>
class expected {
 public:
  using value_type = T;
  using error_type = E;
  using unexpected_type = unexpected<E>;

  constexpr expected() requires std::is_default_constructible_v<T>
      : storage_(std::in_place_index<0>) {}

  template <PlainArgumentFor<T> U = T>
  constexpr explicit(!std::is_convertible_v<U, T>) expected(U&& value)
      : storage_(std::in_place_index<0>, std::forward<U>(value)) {}

  template <typename G>
  requires std::is_constructible_v<E, const G&>
  constexpr explicit(!std::is_convertible_v<const G&, E>) expected(const unexpected<G>& error)
      : storage_(std::in_place_index<1>, error.error()) {}

  template <typename G>
  requires std::is_constructible_v<E, G>
  constexpr explicit(!std::is_convertible_v<G, E>) expected(unexpected<G>&& error)
      : storage_(std::in_place_index<1>, std::move(error).error()) {}

  template <typename... Args>
  constexpr explicit expected(std::in_place_t, Args&&... args)
      : storage_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  template <typename... Args>
  constexpr explicit expected(unexpect_t, Args&&... args)
      : storage_(std::in_place_index<1>, std::forward<Args>(args)...) {}

  template <PlainArgumentFor<T> U = T>
  constexpr expected& operator=(U&& value) {
    storage_.template emplace<0>(std::forward<U>(value));
    return *this;
  }
  template <typename G>
  constexpr expected& operator=(const unexpected<G>& error) {
    storage_.template emplace<1>(error.error());
    return *this;
  }
  template <typename G>
  constexpr expected& operator=(unexpected<G>&& error) {
    storage_.template emplace<1>(std::move(error).error());
    return *this;
  }

  constexpr bool has_value() const noexcept { return storage_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr const T* operator->() const { return &std::get<0>(storage_); }
  constexpr T* operator->() { return &std::get<0>(storage_); }
  constexpr const T& operator*() const& { return std::get<0>(storage_); }
  constexpr T& operator*() & { return std::get<0>(storage_); }
  constexpr T&& operator*() && { return std::get<0>(std::move(storage_)); }

  constexpr const T& value() const& {
    throw_if_error();
    return std::get<0>(storage_);
  }
  constexpr T& value() & {
    throw_if_error();
    return std::get<0>(storage_);
  }
  constexpr T&& value() && {
    if (!has_value()) throw bad_expected_access<E>(std::move(*this).error());
    return std::get<0>(std::move(storage_));
  }

  constexpr const E& error() const& { return std::get<1>(storage_); }
  constexpr E& error() & { return std::get<1>(storage_); }
  constexpr E&& error() && { return std::get<1>(std::move(storage_)); }

  template <typename U>
  constexpr T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  constexpr T value_or(U&& fallback) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(fallback));
  }

  template <typename T2, typename E2>
  friend constexpr bool operator==(const expected& x, const expected<T2, E2>& y) {
    if (x.has_value() != y.has_value()) return false;
    return x.has_value() ? *x == *y : x.error() == y.error();
  }
  template <PlainValue T2>
  friend constexpr bool operator==(const expected& x, const T2& value) {
    return x.has_value() && *x == value;
  }
  template <typename E2>
  friend constexpr bool operator==(const expected& x, const unexpected<E2>& error) {
    return !x.has_value() && x.error() == error.error();
  }

 private:
  constexpr void throw_if_error() const {
    if (!has_value()) throw bad_expected_access<E>(error());
  }

  std::variant<T, E> storage_;
};

// expected<void, E>: success carries nothing, so only the error needs storage.
template <typename E>
class expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;
  using unexpected_type = unexpected<E>;

  constexpr expected() noexcept = default;
  constexpr explicit expected(std::in_place_t) noexcept {}

  template <typename G>
  requires std::is_constructible_v<E, const G&>
  constexpr explicit(!std::is_convertible_v<const G&, E>) expected(const unexpected<G>& error)
      : error_(std::in_place, error.error()) {}

  template <typename G>
  requires std::is_constructible_v<E, G>
  constexpr explicit(!std::is_convertible_v<G, E>) expected(unexpected<G>&& error)
      : error_(std::in_place, std::move(error).error()) {}

  template <typename... Args>
  constexpr explicit expected(unexpect_t, Args&&... args)
      : error_(std::in_place, std::forward<Args>(args)...) {}

  template <typename G>
  constexpr expected& operator=(const unexpected<G>& error) {
    error_.emplace(error.error());
    return *this;
  }
  template <typename G>
  constexpr expected& operator=(unexpected<G>&& error) {
    error_.emplace(std::move(error).error());
    return *this;
  }

  constexpr bool has_value() const noexcept { return !error_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  constexpr void operator*() const noexcept {}

  constexpr void value() const& {
    if (error_) throw bad_expected_access<E>(*error_);
  }
  constexpr void value() && {
    if (error_) throw bad_expected_access<E>(std::move(*error_));
  }

  constexpr const E& error() const& { return error_.value(); }
  constexpr E& error() & { return error_.value(); }
  constexpr E&& error() && { return std::move(error_).value(); }

  template <typename E2>
  friend constexpr bool operator==(const expected& x, const expected<void, E2>& y) {
    if (x.has_value() != y.has_value()) return false;
    return x.has_value() || x.error() == y.error();
  }
  template <typename E2>
  friend constexpr bool operator==(const expected& x, const unexpected<E2>& error) {
    return !x.has_value() && x.error() == error.error();
  }

 private:
  std::optional<E> error_;
};

}  // namespace velocity::compat

#if !defined(__cpp_lib_expected)
// Callers write `std::unexpected(...)` as C++23 spells it. Where the standard library has no
// <expected>, that name refers to the type above, so no caller needs to know which one it gets.
namespace std {
using ::velocity::compat::unexpected;
}  // namespace std
#endif
