#include "engine/byte_compare.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace vg {
namespace {

using Enc = ByteCompareSubsignature::Encoding;
using End = ByteCompareSubsignature::Endian;

// The C locale's character classes, on raw bytes (bytes >= 0x80 are in none of them).
bool is_space(std::uint8_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
bool is_digit(std::uint8_t c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_xdigit(std::uint8_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_x(std::uint8_t c) {
  return c == 'x' || c == 'X';
}

// What libclamav's cli_strntol(text, n, &end, base) computes for base 10 or 16: leading blanks and
// one sign skipped, "0x" skipped for base 16 (only without a sign, as its sign handling leaves the
// sign as the current character), then digits up to n bytes. end is where the digits stopped, or 0
// when there were none.
struct Number {
  std::int64_t value = 0;
  std::size_t end = 0;
  bool overflow = false;
};

Number clam_strntol(std::string_view text, int base) {
  Number r;
  const std::size_t n = text.size();
  auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  if (n == 0)
    return r;
  std::size_t s = 0;
  while (is_space(at(s)) && ++s < n) {
  }
  if (s >= n)
    return r;
  const std::uint8_t first = at(s);
  bool neg = false;
  if (first == '-' || first == '+') {
    neg = first == '-';
    if (++s >= n)
      return r;
  }
  if (base == 16 && first == '0' && s + 1 < n && is_x(at(s + 1))) {
    if (s + 2 >= n)
      return r;
    s += 2;
  }
  const std::uint64_t limit =
      neg ? std::uint64_t{1} << 63 : std::numeric_limits<std::int64_t>::max();
  std::uint64_t acc = 0;
  bool any = false;
  for (; s < n; ++s) {
    std::uint8_t c = at(s);
    int d = is_digit(c) ? c - '0' : is_alpha(c) ? (c | 0x20) - 'a' + 10 : 99;
    if (d >= base)
      break;
    any = true;
    if (r.overflow ||
        acc > (limit - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base))
      r.overflow = true;
    else
      acc = acc * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
  }
  if (!any)
    return r;
  r.end = s;
  r.value = neg ? static_cast<std::int64_t>(0 - acc) : static_cast<std::int64_t>(acc);
  return r;
}

// cli_bcomp_chk_hex: text of at least 3 bytes starting "0x"/"0X".
bool has_hex_prefix(std::string_view t) {
  return t.size() >= 3 && t[0] == '0' && is_x(t[1]);
}

// cli_bcomp_normalize_buffer for little-endian hex text: byte pairs reversed ("AABBCC" ->
// "CCBBAA"), an odd length padded with a leading '0' (after the "0x" prefix, which becomes "x0"),
// and a pair holding a byte that is neither a hex digit nor 'x' zeroing the reversed text built so
// far (the pairs that follow it in the field); the pairs before it survive.
std::string reverse_hex_pairs(std::string_view text) {
  const std::size_t len = text.size();
  const std::size_t norm = len % 2 == 0 ? len : len + 1;
  std::string out(norm, '0');
  if (len == 1) {
    out[0] = text[0];
    return out;
  }
  std::string src(norm, '0');
  if (norm != len) {
    if (has_hex_prefix(text)) {
      std::copy(text.begin() + 2, text.end(), src.begin() + 3);
      src[0] = 'x';
    } else {
      std::copy(text.begin(), text.end(), src.begin() + 1);
    }
  } else {
    std::copy(text.begin(), text.end(), src.begin());
    if (has_hex_prefix(text))
      src[0] = 'x';
  }
  auto ok = [](char c) {
    auto u = static_cast<std::uint8_t>(c);
    return is_xdigit(u) || is_x(u);
  };
  for (std::size_t i = 0; i < norm; i += 2) {
    char hi = src[norm - i - 2], lo = src[norm - i - 1];
    if (!ok(hi)) {
      std::fill(out.begin(), out.end(), '0');
      continue;
    }
    out[i] = hi;
    if (ok(lo))
      out[i + 1] = lo;
    else
      std::fill(out.begin(), out.end(), '0');
  }
  return out;
}

std::uint64_t read_binary(const std::uint8_t *p, std::uint32_t n, bool little) {
  std::uint64_t v = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint64_t byte = p[little ? n - 1 - i : i];
    v = (v << 8) | byte;
  }
  return v;
}

} // namespace

// matcher-byte-comp.c cli_bcomp_compare_check.
std::optional<std::int64_t> byte_compare_extract(const ByteCompareSubsignature &sig,
                                                 std::span<const std::uint8_t> data,
                                                 std::uint64_t trigger_start) {
  if (trigger_start > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 2) ||
      sig.offset > std::numeric_limits<std::int64_t>::max() / 4 ||
      sig.offset < std::numeric_limits<std::int64_t>::min() / 4)
    return std::nullopt;
  const std::int64_t pos = static_cast<std::int64_t>(trigger_start) + sig.offset;
  // ClamAV requires the position to be above 0 (a comparison at file offset 0 never happens).
  if (pos <= 0 || static_cast<std::uint64_t>(pos) + sig.byte_count > data.size())
    return std::nullopt;
  const std::uint8_t *bytes = data.data() + pos;

  if (sig.encoding == Enc::binary) {
    if (sig.endian == End::unspecified)
      return std::nullopt; // ClamAV finds no extraction for binary without l or b
    std::uint32_t n = sig.byte_count;
    if (n != 1 && n != 2 && n != 4 && n != 8)
      return std::nullopt;
    return static_cast<std::int64_t>(read_binary(bytes, n, sig.endian == End::little));
  }

  // Text encodings: leading whitespace is dropped first (and makes `e` fail).
  std::string_view raw(reinterpret_cast<const char *>(bytes), sig.byte_count);
  std::size_t pad = 0;
  while (pad < raw.size() && is_space(static_cast<std::uint8_t>(raw[pad])))
    ++pad;
  std::string_view text = raw.substr(pad); // a NUL byte in it simply ends the digits

  Enc enc = sig.encoding;
  if (enc == Enc::automatic) {
    if (text.size() < 3)
      return std::nullopt; // ClamAV leaves the choice undecided and compares nothing
    enc = has_hex_prefix(text) ? Enc::hex : Enc::decimal;
  }
  if (sig.endian == End::unspecified)
    return std::nullopt; // hex (or auto) without l or b: no extraction in ClamAV
  const bool little = sig.endian == End::little;
  if (enc == Enc::decimal && little)
    return std::nullopt; // auto-detected decimal in little endian: unsupported in ClamAV
  if (enc != Enc::hex && enc != Enc::decimal)
    return std::nullopt;

  Number num;
  if (enc == Enc::hex && little) {
    std::string swapped = reverse_hex_pairs(text);
    num = clam_strntol(std::string_view(swapped).substr(0, text.size() == 1 ? 1 : swapped.size()),
                       16);
  } else {
    num = clam_strntol(text, enc == Enc::hex ? 16 : 10);
  }
  if (num.overflow)
    return std::nullopt;
  // `e`: the digits must fill the whole field (so odd-length little-endian hex, padded to an even
  // length, never qualifies — as in ClamAV).
  if (sig.exact && (pad != 0 || num.end != text.size()))
    return std::nullopt;
  return num.value;
}

bool byte_compare_at(const ByteCompareSubsignature &sig, std::span<const std::uint8_t> data,
                     std::uint64_t trigger_start) {
  auto value = byte_compare_extract(sig, data, trigger_start);
  if (!value || sig.comparisons.empty())
    return false;
  return std::all_of(sig.comparisons.begin(), sig.comparisons.end(), [&](const auto &c) {
    switch (c.op) {
    case '<':
      return *value < c.value;
    case '>':
      return *value > c.value;
    case '=':
      return *value == c.value;
    default:
      return false;
    }
  });
}

bool byte_compare_matches(const ByteCompareSubsignature &sig, std::span<const std::uint8_t> data,
                          std::span<const std::uint64_t> trigger_starts) {
  if (trigger_starts.empty())
    return false;
  return byte_compare_at(sig, data,
                         *std::max_element(trigger_starts.begin(), trigger_starts.end()));
}

} // namespace vg
