#include "signatures/pcre_subsignature.hpp"

#include <vector>

namespace vg {
namespace {

// ClamAV's cli_ldbtokenize(field, ':', 5, …, 0): split on ':' except between an opening and a
// closing '/', where a '/' right after a '\' neither opens nor closes. The last of the at most five
// pieces keeps the rest of the field.
std::vector<std::string_view> split_outside_regex(std::string_view field) {
  constexpr std::size_t kMaxPieces = 5;
  std::vector<std::string_view> pieces;
  bool within = false;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (!within && c == ':' && pieces.size() + 1 < kMaxPieces) {
      pieces.push_back(field.substr(begin, i - begin));
      begin = i + 1;
    } else if (c == '/' && (i == 0 || field[i - 1] != '\\')) {
      within = !within;
    }
  }
  pieces.push_back(field.substr(begin));
  return pieces;
}

// The flags ClamAV accepts after the closing '/': PCRE2's (regex_pcre.c cli_pcre_addoptions) and
// its own g r e (matcher-pcre.c cli_pcre_addpatt). Repeats are allowed.
bool apply_flag(char c, PcreFlags &f) {
  switch (c) {
  case 'g':
    f.global = true;
    return true;
  case 'r':
    f.rolling = true;
    return true;
  case 'e':
    f.encompass = true;
    return true;
  case 'i':
    f.caseless = true;
    return true;
  case 's':
    f.dotall = true;
    return true;
  case 'm':
    f.multiline = true;
    return true;
  case 'x':
    f.extended = true;
    return true;
  case 'A':
    f.anchored = true;
    return true;
  case 'E':
    f.dollar_endonly = true;
    return true;
  case 'U':
    f.ungreedy = true;
    return true;
  default:
    return false;
  }
}

std::string printable(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f)
    return std::string("'") + c + "'";
  static const char digits[] = "0123456789abcdef";
  return std::string("byte 0x") + digits[u >> 4] + digits[u & 15];
}

} // namespace

bool looks_like_pcre_subsignature(std::string_view field) {
  return !field.empty() && field.front() != '$' && field.find('/') != std::string_view::npos;
}

PcreSubsignatureParse parse_pcre_subsignature(std::string_view field) {
  PcreSubsignatureParse r;
  auto fail = [&](std::string reason) {
    r.error = std::move(reason);
    return r;
  };
  if (field.find('\0') != std::string_view::npos)
    return fail("PCRE subsignature contains a NUL byte");
  if (!field.empty() && field.front() == '/')
    return fail("PCRE subsignature has no trigger before its '/' (expected "
                "[Offset:]Trigger/regex/[flags])");

  auto pieces = split_outside_regex(field);
  std::string_view sig = pieces.front();
  if (pieces.size() == 2) {
    r.sig.offset_text = std::string(pieces[0]);
    sig = pieces[1];
  }
  // With three or more pieces ClamAV keeps the first one as the whole subsignature.

  auto open = sig.find('/');
  auto close = sig.rfind('/');
  if (open == std::string_view::npos || open == close)
    return fail("PCRE subsignature '" + std::string(sig) + "' lacks a '/' pair around its regex");
  r.sig.trigger = std::string(sig.substr(0, open));
  r.sig.regex = std::string(sig.substr(open + 1, close - open - 1));
  std::string_view flags = sig.substr(close + 1);
  if (r.sig.trigger.empty())
    return fail("PCRE subsignature has an empty trigger (expected [Offset:]Trigger/regex/[flags])");
  if (r.sig.regex.empty())
    return fail("PCRE subsignature has an empty regex between its '/'");
  for (char c : flags)
    if (!apply_flag(c, r.sig.flags))
      return fail("PCRE subsignature flag " + printable(c) +
                  " is not one of ClamAV's g r e i s m x A E U");

  auto off = parse_offset_spec(r.sig.offset_text);
  if (!off.ok())
    return fail("PCRE subsignature offset '" + r.sig.offset_text + "': " + off.error);
  r.sig.offset = off.spec;
  return r;
}

} // namespace vg
