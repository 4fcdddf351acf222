// packed_pattern.cpp — the byte encoding of a body pattern (format in packed_pattern.hpp).
#include "signatures/packed_pattern.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <string_view>

namespace vg {
namespace {

enum Tag : std::uint8_t {
  kRun = 0,
  kAlternation = 1,
  kNegatedAlternation = 2,
  kGap = 3,
  kBoundary = 4
};
constexpr std::uint64_t kMaxNumber = std::numeric_limits<std::uint32_t>::max();

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

class Encoder {
public:
  std::vector<std::uint8_t> out;

  void number(std::uint64_t v, const char *what) {
    if (v > kMaxNumber)
      throw Error("body pattern", std::string(what) + " " + std::to_string(v) +
                                      " too large to pack (at most 2^32 - 1)");
    do {
      std::uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(v ? static_cast<std::uint8_t>(b | 0x80) : b);
    } while (v);
  }

  void run(const ByteRun &run) {
    std::size_t masked = 0;
    for (const auto &m : run)
      masked += m.mask != 0xff;
    number(std::uint64_t{run.size()} * 2 + (masked ? 1 : 0), "byte run length");
    for (const auto &m : run)
      out.push_back(m.value);
    if (!masked)
      return;
    number(masked, "masked byte count");
    std::size_t previous = 0; // one past the previous masked position
    for (std::size_t i = 0; i < run.size(); ++i) {
      if (run[i].mask == 0xff)
        continue;
      number(i - previous, "masked byte distance");
      out.push_back(run[i].mask);
      previous = i + 1;
    }
  }

  void element(const PatternElement &el) {
    if (const auto *r = std::get_if<ByteRun>(&el)) {
      out.push_back(kRun);
      run(*r);
    } else if (const auto *a = std::get_if<Alternation>(&el)) {
      out.push_back(a->negated ? kNegatedAlternation : kAlternation);
      number(a->alternatives.size(), "alternative count");
      for (const auto &r : a->alternatives)
        run(r);
    } else if (const auto *g = std::get_if<Gap>(&el)) {
      out.push_back(kGap);
      number(g->min, "gap minimum");
      number(g->max == Gap::kUnbounded ? 0 : std::uint64_t{g->max} + 1, "gap maximum");
    } else {
      const auto &b = std::get<Boundary>(el);
      out.push_back(kBoundary);
      out.push_back(static_cast<std::uint8_t>(
          static_cast<unsigned>(b.kind) | static_cast<unsigned>(b.side) << 2 |
          static_cast<unsigned>(b.negated) << 3 | static_cast<unsigned>(b.wide) << 4));
    }
  }
};

// Reads an encoding, checking its structure as it goes, and with `strict` also what the parser
// never produces (pack() encodes such patterns too, and unpack() gives them back). With `out` null
// it allocates nothing (check() and min_length()); with it, it appends the elements there. Returns
// false with `error` set (the reason and the offset) at the first fault.
class Decoder {
public:
  Decoder(std::span<const std::uint8_t> in, bool strict) : in_(in), strict_(strict) {}

  std::uint64_t min_length = 0;
  std::string error;

  bool run(BodyPattern *out) {
    if (strict_ && in_.empty())
      return fail("empty body pattern");
    while (pos_ < in_.size()) {
      const std::size_t at = pos_;
      const std::uint8_t tag = in_[pos_++];
      switch (tag) {
      case kRun: {
        ByteRun *r = out ? &std::get<ByteRun>(out->elements.emplace_back(ByteRun{})) : nullptr;
        std::uint64_t length = 0;
        if (!byte_run(r, length))
          return false;
        min_length = sat_add(min_length, length);
        break;
      }
      case kAlternation:
      case kNegatedAlternation:
        if (!alternation(tag == kNegatedAlternation, at, out))
          return false;
        break;
      case kGap: {
        std::uint64_t min = 0, max_code = 0;
        if (!number(min, "gap minimum") || !number(max_code, "gap maximum"))
          return false;
        const std::uint64_t max = max_code == 0 ? Gap::kUnbounded : max_code - 1;
        if (strict_ && min > max)
          return fail_at(at, "gap minimum above its maximum (" + std::to_string(min) + " > " +
                                 std::to_string(max) + ")");
        if (out)
          out->elements.emplace_back(
              Gap{static_cast<std::uint32_t>(min), static_cast<std::uint32_t>(max)});
        min_length = sat_add(min_length, min);
        break;
      }
      case kBoundary: {
        if (pos_ >= in_.size())
          return fail("truncated in a boundary");
        const std::uint8_t bits = in_[pos_];
        if ((bits & 3) > static_cast<unsigned>(Boundary::Kind::non_alnum) || bits >> 5)
          return fail("boundary with bits 0x" + hex(bits));
        ++pos_;
        if (out)
          out->elements.emplace_back(Boundary{static_cast<Boundary::Kind>(bits & 3),
                                              static_cast<Boundary::Side>((bits >> 2) & 1),
                                              ((bits >> 3) & 1) != 0, ((bits >> 4) & 1) != 0});
        break;
      }
      default:
        return fail_at(at, "unknown element tag 0x" + hex(tag));
      }
    }
    return true;
  }

private:
  std::span<const std::uint8_t> in_;
  bool strict_;
  std::size_t pos_ = 0;

  static std::string hex(std::uint8_t b) {
    return {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
  }
  bool fail_at(std::size_t at, const std::string &reason) {
    error = reason + " at byte " + std::to_string(at) + " of " + std::to_string(in_.size());
    return false;
  }
  bool fail(const std::string &reason) { return fail_at(pos_, reason); }

  // A minimal LEB128 number below 2^32.
  bool number(std::uint64_t &v, const char *what) {
    const std::size_t at = pos_;
    v = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (pos_ >= in_.size())
        return fail_at(at, std::string("truncated in ") + what);
      const std::uint8_t b = in_[pos_++];
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (v > kMaxNumber || (shift == 28 && (b & 0x80)))
        return fail_at(at, std::string(what) + " above 2^32 - 1");
      if (!(b & 0x80)) {
        if (b == 0 && shift != 0)
          return fail_at(at, std::string(what) + " not in its shortest form");
        return true;
      }
    }
  }

  bool byte_run(ByteRun *out, std::uint64_t &length) {
    const std::size_t at = pos_;
    std::uint64_t header = 0;
    if (!number(header, "byte run length"))
      return false;
    length = header >> 1;
    if (strict_ && length == 0)
      return fail_at(at, "empty byte run");
    if (in_.size() - pos_ < length)
      return fail_at(at, "truncated: byte run of " + std::to_string(length) + " bytes");
    const std::uint8_t *values = in_.data() + pos_;
    pos_ += length;
    if (out) {
      out->reserve(length);
      for (std::uint64_t i = 0; i < length; ++i)
        out->push_back(ByteMatch{values[i], 0xff});
    }
    if (!(header & 1))
      return true;
    std::uint64_t count = 0;
    if (!number(count, "masked byte count"))
      return false;
    if (count == 0 || count > length)
      return fail_at(at, "byte run of " + std::to_string(length) + " bytes with " +
                             std::to_string(count) + " masked ones");
    std::uint64_t next = 0; // the earliest position the next masked byte may have
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t delta = 0;
      if (!number(delta, "masked byte distance"))
        return false;
      const std::uint64_t i = next + delta;
      if (i >= length)
        return fail_at(at, "masked byte " + std::to_string(i) + " past the run's " +
                               std::to_string(length) + " bytes");
      if (pos_ >= in_.size())
        return fail("truncated in a byte mask");
      const std::uint8_t mask = in_[pos_];
      if (mask == 0xff)
        return fail("mask 0xff listed as masked");
      if (strict_ && (values[i] & mask) != values[i])
        return fail("byte value outside its mask (0x" + hex(values[i]) + ", mask 0x" + hex(mask) +
                    ")");
      ++pos_;
      if (out)
        (*out)[i].mask = mask;
      next = i + 1;
    }
    return true;
  }

  bool alternation(bool negated, std::size_t at, BodyPattern *out) {
    std::uint64_t count = 0;
    if (!number(count, "alternative count"))
      return false;
    if (strict_ && count == 0)
      return fail_at(at, "alternation without alternatives");
    // Each alternative takes at least one byte (its header): a larger count is truncated (checked
    // before anything is reserved).
    if (count > in_.size() - pos_)
      return fail_at(at, "truncated: " + std::to_string(count) + " alternatives");
    Alternation *alt = nullptr;
    if (out) {
      alt = &std::get<Alternation>(out->elements.emplace_back(Alternation{}));
      alt->negated = negated;
      alt->alternatives.resize(count);
    }
    std::uint64_t shortest = std::numeric_limits<std::uint64_t>::max(), first = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t length = 0;
      if (!byte_run(alt ? &alt->alternatives[k] : nullptr, length))
        return false;
      if (k == 0)
        first = length;
      else if (strict_ && negated && length != first)
        return fail_at(at, "negated alternation with alternatives of " + std::to_string(first) +
                               " and " + std::to_string(length) + " bytes");
      shortest = std::min(shortest, length);
    }
    if (count)
      min_length = sat_add(min_length, negated ? first : shortest);
    return true;
  }
};

} // namespace

PackedPattern::PackedPattern(std::span<const std::uint8_t> bytes) {
  if (bytes.empty())
    return;
  if (bytes.size() > kMaxNumber)
    throw Error("body pattern",
                "packed form of " + std::to_string(bytes.size()) + " bytes (at most 2^32 - 1)");
  block_ = std::make_unique_for_overwrite<std::uint8_t[]>(sizeof(std::uint32_t) + bytes.size());
  const auto size = static_cast<std::uint32_t>(bytes.size());
  std::memcpy(block_.get(), &size, sizeof size);
  std::memcpy(block_.get() + sizeof size, bytes.data(), bytes.size());
}

PackedPattern::PackedPattern(std::span<const std::uint8_t> bytes, const std::string &input) {
  std::string why;
  auto p = read(bytes, why);
  if (!p)
    throw Error(input, "bad packed body pattern: " + why);
  *this = std::move(*p);
}

std::optional<PackedPattern> PackedPattern::read(std::span<const std::uint8_t> bytes,
                                                 std::string &why) {
  why = check(bytes);
  if (!why.empty())
    return std::nullopt;
  return PackedPattern(bytes);
}

PackedPattern::PackedPattern(const PackedPattern &other) : PackedPattern(other.bytes()) {}

PackedPattern &PackedPattern::operator=(const PackedPattern &other) {
  if (this != &other)
    *this = PackedPattern(other.bytes());
  return *this;
}

PackedPattern PackedPattern::pack(const BodyPattern &pattern) {
  thread_local Encoder e; // reused: the loader packs hundreds of thousands of patterns
  e.out.clear();
  for (const auto &el : pattern.elements)
    e.element(el);
  return PackedPattern(std::span<const std::uint8_t>(e.out));
}

BodyPattern PackedPattern::unpack() const {
  BodyPattern p;
  if (empty())
    return p;
  Decoder d(bytes(), false);
  if (!d.run(
          &p)) // cannot happen: every constructor but pack() checks, and pack() encodes faithfully
    throw Error("body pattern", "bad packed body pattern: " + d.error);
  return p;
}

std::string PackedPattern::check(std::span<const std::uint8_t> bytes) {
  Decoder d(bytes, true);
  d.run(nullptr);
  return d.error;
}

std::span<const std::uint8_t> PackedPattern::bytes() const {
  if (!block_)
    return {};
  std::uint32_t size = 0;
  std::memcpy(&size, block_.get(), sizeof size);
  return {block_.get() + sizeof size, size};
}

std::uint64_t PackedPattern::min_length() const {
  if (empty())
    return 0;
  Decoder d(bytes(), false);
  d.run(nullptr);
  return d.min_length;
}

std::size_t PackedPattern::hash() const {
  const auto b = bytes();
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char *>(b.data()), b.size()));
}

bool operator==(const PackedPattern &a, const PackedPattern &b) {
  const auto x = a.bytes(), y = b.bytes();
  return std::equal(x.begin(), x.end(), y.begin(), y.end());
}

} // namespace vg
