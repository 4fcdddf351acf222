// boxed_value.hpp — a rarely-set value kept on the heap, copied as a value.
// Promise: a BoxedValue<T> costs one pointer while unset; get() returns the value, or one shared
// default-constructed T while unset; set(v) stores v, reset() unsets; a copy owns its own T (a
// deep copy), a move leaves the source unset. So a struct holding one needs no hand-written copy
// constructor. T must be default- and copy-constructible.
#pragma once
#include <memory>
#include <utility>

namespace vg {

template <class T> class BoxedValue {
public:
  BoxedValue() = default;
  BoxedValue(const BoxedValue &o) : p_(o.p_ ? std::make_unique<const T>(*o.p_) : nullptr) {}
  BoxedValue &operator=(const BoxedValue &o) {
    if (this != &o)
      p_ = o.p_ ? std::make_unique<const T>(*o.p_) : nullptr;
    return *this;
  }
  BoxedValue(BoxedValue &&) noexcept = default;
  BoxedValue &operator=(BoxedValue &&) noexcept = default;
  ~BoxedValue() = default;

  bool has_value() const { return p_ != nullptr; }
  const T &get() const {
    static const T unset{};
    return p_ ? *p_ : unset;
  }
  void set(T value) { p_ = std::make_unique<const T>(std::move(value)); }
  void reset() { p_.reset(); }

private:
  std::unique_ptr<const T> p_;
};

} // namespace vg
