#include "signatures/logical_line.hpp"

#include "common/error.hpp"
#include "signatures/byte_compare_subsignature.hpp"
#include "signatures/pcre_subsignature.hpp"

#include <algorithm>

namespace vg {

const LogicalSubsignature::Parts &LogicalSubsignature::parts() const {
  return parts_.get();
}

void LogicalSubsignature::set_pcre(PcreSubsignature pcre, LogicalExpression trigger) {
  parts_.set(Parts{std::move(pcre), std::move(trigger), {}});
}

void SubsignaturePatterns::push_back(PackedPattern p) {
  if (p.empty())
    throw Error("subsignature", "empty body pattern");
  const std::size_t n = size();
  if (n == kMax)
    throw Error("subsignature", "more than " + std::to_string(kMax) + " body patterns");
  p_[n] = std::move(p);
}

void LogicalSubsignature::set_byte_compare(ByteCompareSubsignature byte_compare) {
  parts_.set(Parts{{}, {}, std::move(byte_compare)});
}

namespace {

constexpr std::size_t kMaxSubsigs = 64;

// cli_ldbtokenize(): splits on `sep`, except that from field `pcre_from` on, a '/' not preceded by
// '\' opens or closes a regex inside which `sep` does not split. At most `max` fields; the last
// one ends at the next separator (the rest of the text is dropped), as ClamAV does.
std::vector<std::string_view> tokenize(std::string_view s, char sep, std::size_t max,
                                       std::size_t pcre_from) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  bool in_regex = false;
  for (std::size_t i = 0;; ++i) {
    if (i == s.size() || (!in_regex && s[i] == sep)) {
      out.push_back(s.substr(start, i - start));
      if (i == s.size() || out.size() == max)
        return out;
      start = i + 1;
      continue;
    }
    if (out.size() >= pcre_from && s[i] == '/' && (i == 0 || s[i - 1] != '\\'))
      in_regex = !in_regex;
  }
}

bool all_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

std::string parse_macro(std::string_view f) {
  // ${min-max}group$
  if (f.size() < 2 || f.back() != '$' || f.substr(0, 2) != "${")
    return "macro subsignature must look like ${min-max}group$";
  auto close = f.find('}');
  auto dash = f.find('-');
  if (close == std::string_view::npos || dash == std::string_view::npos || dash > close)
    return "macro subsignature must look like ${min-max}group$";
  auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos &&
           d.size() <= 9;
  };
  auto group = f.substr(close + 1, f.size() - close - 2);
  if (!digits(f.substr(2, dash - 2)) || !digits(f.substr(dash + 1, close - dash - 1)) ||
      !digits(group))
    return "macro subsignature must look like ${min-max}group$";
  if (std::stoul(std::string(group)) >= 32)
    return "macro group must be below 32";
  return {};
}

std::string parse_body(std::string_view field, LogicalSubsignature &out) {
  auto t = tokenize(field, ':', 5, 0);
  std::string_view offset = "*", hex = t.size() % 2 ? t[0] : t[1], mods;
  if (t.size() % 2 == 0)
    offset = t[0];
  if (t.size() == 3)
    mods = t[2];
  else if (t.size() == 4)
    mods = t[3];
  for (char c : mods) {
    switch (c) {
    case 'i':
      out.options.nocase = true;
      break;
    case 'w':
      out.options.wide = true;
      break;
    case 'f':
      out.options.fullword = true;
      break;
    case 'a':
      out.options.ascii = true;
      break;
    default:
      return "unknown subsignature modifier '" + std::string(1, c) + "'";
    }
  }
  auto off = parse_offset_spec(offset);
  if (!off.ok())
    return off.error;
  out.offset = off.spec;
  auto body = parse_body_pattern(hex, out.options);
  if (!body.ok())
    return "bad hex signature: " + body.error;
  for (const auto &p : body.patterns)
    out.patterns.push_back(PackedPattern::pack(p));
  return {};
}

} // namespace

std::string parse_ldb_subsignature(std::string_view field, std::size_t index,
                                   LogicalSubsignature &out) {
  using Kind = LogicalSubsignature::Kind;
  out = LogicalSubsignature();
  if (field.empty())
    return "empty subsignature";
  if (field[0] == '$') {
    out.kind = Kind::macro;
    return parse_macro(field);
  }
  if (looks_like_pcre_subsignature(field)) {
    out.kind = Kind::pcre;
    auto p = parse_pcre_subsignature(field);
    if (!p.ok())
      return p.error;
    auto t = parse_logical_expression(p.sig.trigger);
    if (!t.ok())
      return "PCRE trigger '" + p.sig.trigger + "': " + t.error;
    if (t.expression.max_subsig() >= index)
      return "PCRE trigger names subsignature " + std::to_string(t.expression.max_subsig()) +
             ", not one before this one";
    out.set_pcre(std::move(p.sig), std::move(t.expression));
    return {};
  }
  if (looks_like_byte_compare_subsignature(field)) {
    out.kind = Kind::byte_compare;
    auto b = parse_byte_compare_subsignature(field);
    if (!b.ok())
      return b.error;
    if (b.sig.trigger >= index)
      return "byte-compare trigger " + std::to_string(b.sig.trigger) +
             " must be a subsignature before this one";
    out.set_byte_compare(std::move(b.sig));
    return {};
  }
  if (field.starts_with("fuzzy_img#")) {
    out.kind = Kind::fuzzy_image;
    auto parts = tokenize(field, '#', 4, 0);
    if (parts.size() < 2 || parts.size() > 3 || parts[1].size() != 16 || !all_hex(parts[1]) ||
        (parts.size() == 3 &&
         (parts[2].empty() || parts[2].find_first_not_of("0123456789") != std::string_view::npos)))
      return "fuzzy image subsignature must be fuzzy_img#<16 hex "
             "digits>[#distance]";
    return {};
  }
  out.kind = Kind::body;
  return parse_body(field, out);
}

std::variant<LogicalSignature, LineSkipped, LineError> parse_ldb_line(std::string_view line) {
  auto f = tokenize(line, ';', 3 + kMaxSubsigs + 1, 2);
  if (f.size() < 4)
    return LineError{"expected "
                     "Name;TargetDescription;LogicalExpression;Subsig0[;Subsig1...], got " +
                     std::to_string(f.size()) + " fields"};
  if (f[0].empty())
    return LineError{"empty signature name"};
  if (std::any_of(f[0].begin(), f[0].end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return LineError{"control character in signature name"};
  auto expr = parse_logical_expression(f[2]);
  if (!expr.ok())
    return LineError{"logical expression '" + std::string(f[2]) + "': " + expr.error};
  std::size_t subsigs = f.size() - 3;
  std::size_t wanted = std::size_t{expr.expression.max_subsig()} + 1;
  if (subsigs != wanted)
    return LineError{std::to_string(subsigs) + " subsignatures, but the logical expression names " +
                     std::to_string(wanted) + " (ids 0-" + std::to_string(wanted - 1) + ")"};
  auto tdb = parse_target_description(f[1]);
  if (!tdb.ok())
    return LineError{tdb.error};
  if (!tdb.skip.empty())
    return LineSkipped{std::move(tdb.skip)};
  LogicalSignature sig;
  sig.name = std::string(f[0]);
  sig.tdb = std::move(tdb.tdb);
  sig.expression = std::move(expr.expression);
  sig.subsigs.resize(subsigs);
  for (std::size_t i = 0; i < subsigs; ++i) {
    if (auto e = parse_ldb_subsignature(f[3 + i], i, sig.subsigs[i]); !e.empty())
      return LineError{"subsignature " + std::to_string(i) + ": " + e};
    const auto &sub = sig.subsigs[i];
    if (sub.kind == LogicalSubsignature::Kind::byte_compare &&
        sig.subsigs[sub.byte_compare().trigger].kind != LogicalSubsignature::Kind::body)
      return LineError{"subsignature " + std::to_string(i) +
                       ": a byte-compare trigger must be a body subsignature"};
  }
  return sig;
}

} // namespace vg
