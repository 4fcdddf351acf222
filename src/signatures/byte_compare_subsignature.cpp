#include "signatures/byte_compare_subsignature.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace vg {
namespace {

constexpr std::uint32_t kMaxLdbSubsigs = 64; // ClamAV's MAX_LDB_SUBSIGS
constexpr std::uint32_t kMaxHexBytes = 18;   // CLI_BCOMP_MAX_HEX_BLEN
constexpr std::uint32_t kMaxBinaryBytes = 8; // CLI_BCOMP_MAX_BIN_BLEN

// strtol/strtoll(text, &end, 0) on a whole piece, as ClamAV reads these numbers: true when the
// number ends where the piece ends. An empty piece reads as 0 (strtol stops at once, and ClamAV
// only checks where it stopped); out-of-range values saturate, as in C.
bool whole_number(const std::string &text, long long &value) {
  errno = 0;
  char *end = nullptr;
  value = std::strtoll(text.c_str(), &end, 0);
  return *end == '\0';
}

} // namespace

bool looks_like_byte_compare_subsignature(std::string_view field) {
  auto first = field.find('#');
  return field.find('(') != std::string_view::npos && first != std::string_view::npos &&
         field.rfind('#') != first;
}

ByteCompareParse parse_byte_compare_subsignature(std::string_view field) {
  ByteCompareParse r;
  auto &s = r.sig;
  auto fail = [&](std::string reason) {
    r.error = "byte-compare subsignature '" + std::string(field) + "': " + std::move(reason);
    return r;
  };
  if (field.find('\0') != std::string_view::npos)
    return fail("contains a NUL byte");

  // Trigger: decimal digits up to '('. ClamAV reads it with strtol base 10 and only checks that
  // '(' follows, so no digits at all means subsignature 0.
  std::size_t i = 0;
  while (i < field.size() && std::isdigit(static_cast<unsigned char>(field[i])))
    ++i;
  if (i > 9)
    return fail("the trigger before '(' is not a subsignature index");
  s.trigger = i == 0 ? 0 : static_cast<std::uint32_t>(std::stoul(std::string(field.substr(0, i))));
  if (s.trigger > kMaxLdbSubsigs)
    return fail("trigger " + std::to_string(s.trigger) + " exceeds ClamAV's 64 subsignatures");
  if (i >= field.size() || field[i] != '(')
    return fail("expected '(' after the trigger index");
  auto close = field.find(')', i);
  if (close == std::string_view::npos)
    return fail("no closing ')'");
  // ClamAV ignores whatever follows the first ')'.
  std::string_view params = field.substr(i + 1, close - i - 1);

  std::string parts[3];
  std::size_t n = 0, begin = 0;
  for (std::size_t k = 0; k <= params.size(); ++k) {
    if (k == params.size() || params[k] == '#') {
      if (n == 3)
        return fail("more than the three '#'-separated parameters Offset#ByteOptions#Comparisons");
      parts[n++] = std::string(params.substr(begin, k - begin));
      begin = k + 1;
    }
  }
  if (n != 3)
    return fail("expected three '#'-separated parameters Offset#ByteOptions#Comparisons");

  // Offset: ">>n", "<<n" (n empty reads as 0), or a piece starting with '0' or empty (ClamAV then
  // takes 0 whatever follows the '0').
  const std::string &off = parts[0];
  if (off.empty() || off[0] == '0') {
    s.offset = 0;
  } else if (off.size() >= 2 && (off.compare(0, 2, ">>") == 0 || off.compare(0, 2, "<<") == 0)) {
    long long v = 0;
    if (!whole_number(off.substr(2), v))
      return fail("offset '" + off + "' must be >>n or <<n with a number n");
    // <<n: ClamAV's two's complement of n (wraps instead of overflowing).
    s.offset = off[0] == '<' ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v)) : v;
  } else {
    return fail("offset '" + off + "' must start with >> or << (or be 0)");
  }

  // Byte options: letters until the first digit, then the byte count.
  using Enc = ByteCompareSubsignature::Encoding;
  using End = ByteCompareSubsignature::Endian;
  const std::string &opts = parts[1];
  std::size_t k = 0;
  for (; k < opts.size() && !std::isdigit(static_cast<unsigned char>(opts[k])); ++k) {
    char c = opts[k];
    bool clash = false;
    switch (c) {
    case 'h':
    case 'd':
    case 'i':
    case 'a': {
      Enc e = c == 'h'   ? Enc::hex
              : c == 'd' ? Enc::decimal
              : c == 'i' ? Enc::binary
                         : Enc::automatic;
      clash = s.encoding != Enc::unspecified && s.encoding != e;
      if (c == 'd' && s.endian == End::little)
        clash = true;
      s.encoding = e;
      if (c == 'd')
        s.endian = End::big; // decimal implies big endian
      break;
    }
    case 'l':
      clash = s.endian == End::big || s.encoding == Enc::decimal;
      s.endian = End::little;
      break;
    case 'b':
      clash = s.endian == End::little;
      s.endian = End::big;
      break;
    case 'e':
      s.exact = true;
      break;
    default:
      return fail(std::string("byte option '") + c + "' is not one of h d a i l b e");
    }
    if (clash)
      return fail("byte options '" + opts + "' combine exclusive choices (h/d/a/i, l/b, d with l)");
  }
  long long count = 0;
  if (k == opts.size() || !whole_number(opts.substr(k), count) || count <= 0 ||
      count > 0xffffffffLL)
    return fail("byte options '" + opts + "' must end with a byte count above 0");
  s.byte_count = static_cast<std::uint32_t>(count);
  if (s.encoding == Enc::binary &&
      (s.byte_count > kMaxBinaryBytes || kMaxBinaryBytes % s.byte_count != 0))
    return fail("binary extraction reads 1, 2, 4 or 8 bytes, not " + std::to_string(count));
  if (s.encoding == Enc::hex && s.byte_count > kMaxHexBytes)
    return fail("hex extraction reads at most 18 bytes, not " + std::to_string(count));

  // Comparisons: one, or two separated by exactly one comma.
  const std::string &cmp = parts[2];
  auto comma = cmp.find(',');
  if (comma != std::string::npos && cmp.rfind(',') != comma)
    return fail("more than two comparisons in '" + cmp + "'");
  std::string pieces[2] = {cmp.substr(0, comma),
                           comma == std::string::npos ? std::string() : cmp.substr(comma + 1)};
  for (int c = 0; c < (comma == std::string::npos ? 1 : 2); ++c) {
    const std::string &p = pieces[c];
    if (p.empty() || (p[0] != '<' && p[0] != '>' && p[0] != '='))
      return fail("comparison '" + p + "' must start with <, > or =");
    long long v = 0; // an empty value reads as 0, as in ClamAV
    if (!whole_number(p.substr(1), v))
      return fail("comparison '" + p + "' needs a number after " + p[0]);
    s.comparisons.push_back({p[0], static_cast<std::int64_t>(v)});
  }
  return r;
}

} // namespace vg
