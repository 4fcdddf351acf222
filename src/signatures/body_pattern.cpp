// body_pattern.cpp — parser for ClamAV's hex body-signature grammar.
//
// The parser follows the order in which ClamAV (readdb.c cli_parse_add, matcher-ac.c cli_ac_addsig)
// takes a signature apart, because several rules depend on it:
//  1. "{n}" with 0 < n < 128 is expanded in place (n "??") as long as every earlier "{...}" was
//  such a
//     gap; the first other "{...}" and every later one split the signature into parts instead, like
//     "*". ClamAV stores a split gap as (min, max) with max 0 meaning "no limit", so {0}, {0-0} and
//     {n-0} mean "at least n" there; this parser keeps that meaning.
//  2. Inside each part, "[n-m]" (n <= m <= 32) may only follow a single leading byte ("aa[n-m]...")
//     or precede a single trailing byte ("...[n-m]bb"), at most one of each.
//  3. (B), (L), (W) are zero-width tests at the very start or end of what remains of a part;
//  anywhere
//     else they consume one byte of their class (observed with clamscan 1.4.6: a consuming (L) only
//     takes 0a).
//  4. An alternation is "fixed" when it has no nested group, no '?' and equal-length alternatives;
//  only
//     fixed alternations may be negated, and with any modifier no alternation counts as fixed.
//  5. Every part needs a run of at least two fixed bytes (ClamAV's minimum Aho-Corasick depth).
// Deliberately stricter than ClamAV (which loads these but never matches them): empty alternatives,
// "{}" / "{-}", and {n-m} with n > m > 0.
#include "signatures/body_pattern.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

namespace vg {
namespace {

constexpr std::uint32_t kMaxInlineGap = 127;     // ClamAV expands {1}..{127} into "??"
constexpr std::uint32_t kMaxAnchorDistance = 32; // AC_CH_MAXDIST
constexpr int kMaxNesting = 15;                  // ACPATT_ALTN_MAXNEST
constexpr std::size_t kMaxAlternatives = 4096;   // our cap on expanded generic alternations
constexpr std::size_t kMinFixedRun = 2;          // ClamAV's ac_mindepth
constexpr std::uint64_t kMaxNumber = 0x7fffffff; // ClamAV reads numbers with atoi()

bool is_hex_or_wild(char c) {
  return c == '?' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}
bool is_letter(std::uint8_t b) {
  return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
}
bool is_alnum(std::uint8_t b) {
  return (b >= '0' && b <= '9') || is_letter(b);
}

// Bytes a consuming (B) accepts (ClamAV's boundary table, measured with clamscan 1.4.6 on raw
// binary data: \t \v \f are not in it; in normalised text they have become spaces already).
constexpr std::uint8_t kBoundaryBytes[] = {0x0a, 0x0d, 0x20, 0x22, 0x27, 0x2d, 0x2e,
                                           0x2f, 0x3c, 0x3d, 0x3e, 0x40, 0x5f};

Alternation single_bytes(const std::vector<std::uint8_t> &bytes, bool negated) {
  Alternation a;
  a.negated = negated;
  for (auto b : bytes)
    a.alternatives.push_back(ByteRun{ByteMatch{b, 0xff}});
  return a;
}

std::vector<std::uint8_t> alnum_bytes() {
  std::vector<std::uint8_t> v;
  for (int b = 0; b < 256; ++b)
    if (is_alnum(static_cast<std::uint8_t>(b)))
      v.push_back(static_cast<std::uint8_t>(b));
  return v;
}

std::string column(std::size_t pos) {
  return " at column " + std::to_string(pos + 1);
}

class Parser {
public:
  Parser(std::string_view text, bool nocase, bool any_option, bool wide)
      : t_(text), nocase_(nocase), any_option_(any_option), wide_(wide) {}

  BodyParseResult run() {
    BodyParseResult r;
    if (!parse_all(r.pattern))
      r = BodyParseResult{BodyPattern{}, error_};
    return r;
  }

private:
  std::string_view t_;
  bool nocase_;
  bool any_option_;
  bool wide_;
  std::string error_;
  std::set<std::size_t> inline_braces_; // positions of '{' expanded in place

  bool fail(std::size_t pos, const std::string &what) {
    if (error_.empty())
      error_ = what + column(pos);
    return false;
  }

  // Parses digits in [b, e) into out; false if empty, not digits or too large.
  static bool number(std::string_view s, std::uint32_t &out) {
    if (s.empty())
      return false;
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9')
        return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
      if (v > kMaxNumber)
        return false;
    }
    out = static_cast<std::uint32_t>(v);
    return true;
  }

  std::size_t find_close(std::size_t open, char close) const {
    auto p = t_.find(close, open + 1);
    return p == std::string_view::npos ? t_.size() : p;
  }

  // Hex length of [b, e) as ClamAV sees it after expanding inline gaps.
  std::size_t hex_length(std::size_t b, std::size_t e) const {
    std::size_t n = 0;
    for (std::size_t i = b; i < e; ++i) {
      if (t_[i] == '{' && inline_braces_.count(i)) {
        std::size_t c = find_close(i, '}');
        std::uint32_t v = 0;
        number(t_.substr(i + 1, c - i - 1), v);
        n += 2 * std::size_t{v};
        i = c;
      } else {
        ++n;
      }
    }
    return n;
  }

  bool parse_all(BodyPattern &out) {
    if (t_.empty())
      return fail(0, "empty pattern");
    for (auto [c, what] : {std::pair{'/', "'/' (a PCRE subsignature, not a body pattern)"},
                           std::pair{'$', "'$' (a macro subsignature, not a body pattern)"},
                           std::pair{'#', "'#' (a byte-compare subsignature, not a body pattern)"}})
      if (auto i = t_.find(c); i != std::string_view::npos)
        return fail(i, what);
    for (std::size_t i = 0; i < t_.size(); ++i) {
      char c = t_[i];
      if (!(is_hex_or_wild(c) ||
            std::string_view("*{}-[]()|!BLW").find(c) != std::string_view::npos))
        return fail(i, std::string("unexpected character '") +
                           (std::isprint(static_cast<unsigned char>(c))
                                ? std::string(1, c)
                                : "\\x" + std::string(1, "0123456789abcdef"[(c >> 4) & 15]) +
                                      std::string(1, "0123456789abcdef"[c & 15])) +
                           "'");
    }
    // Pass 1: which "{...}" are expanded in place.
    bool inlining = true;
    for (std::size_t i = 0; i < t_.size(); ++i) {
      if (t_[i] == '}')
        return fail(i, "unbalanced '}'");
      if (t_[i] != '{')
        continue;
      std::size_t c = find_close(i, '}');
      if (c == t_.size())
        return fail(i, "unbalanced '{'");
      auto inner = t_.substr(i + 1, c - i - 1);
      if (inner.find('{') != std::string_view::npos)
        return fail(i + 1 + inner.find('{'), "'{' inside '{...}'");
      std::uint32_t n = 0;
      if (inlining && number(inner, n) && n >= 1 && n <= kMaxInlineGap)
        inline_braces_.insert(i);
      else
        inlining = false;
      i = c;
    }
    // Pass 2: split into parts at '*' and at the other "{...}".
    struct Range {
      std::size_t b, e;
    };
    std::vector<Range> parts;
    std::vector<Gap> seps;
    std::vector<std::size_t> sep_pos;
    std::vector<std::size_t> opens;
    std::size_t part_begin = 0;
    for (std::size_t i = 0; i < t_.size(); ++i) {
      char c = t_[i];
      if (c == '(') {
        opens.push_back(i);
      } else if (c == ')') {
        if (opens.empty())
          return fail(i, "unbalanced ')'");
        opens.pop_back();
      } else if (c == '*' || (c == '{' && !inline_braces_.count(i))) {
        if (!opens.empty())
          return fail(i,
                      c == '*' ? "'*' inside an alternation" : "ranged gap inside an alternation");
        Gap g{0, Gap::kUnbounded};
        std::size_t next = i + 1;
        if (c == '{') {
          std::size_t cl = find_close(i, '}');
          if (!parse_split_gap(t_.substr(i + 1, cl - i - 1), i, g))
            return false;
          next = cl + 1;
        }
        if (i == part_begin)
          return fail(i, "gap with no bytes before it");
        parts.push_back({part_begin, i});
        seps.push_back(g);
        sep_pos.push_back(i);
        part_begin = next;
        i = next - 1;
      } else if (c == '{') {
        i = find_close(i, '}');
      }
    }
    if (!opens.empty())
      return fail(opens.back(), "unbalanced '('");
    if (part_begin >= t_.size())
      return fail(sep_pos.empty() ? 0 : sep_pos.back(), "gap with no bytes after it");
    parts.push_back({part_begin, t_.size()});

    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (k > 0)
        out.elements.push_back(seps[k - 1]);
      if (!parse_part(parts[k].b, parts[k].e, out.elements))
        return false;
    }
    normalise(out.elements);
    return true;
  }

  bool parse_split_gap(std::string_view inner, std::size_t pos, Gap &g) {
    auto dash = inner.find('-');
    std::uint32_t lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!number(inner, lo))
        return fail(pos,
                    inner.empty() ? "empty gap '{}'" : "bad gap '{" + std::string(inner) + "}'");
      hi = lo;
    } else {
      auto a = inner.substr(0, dash), b = inner.substr(dash + 1);
      if (b.find('-') != std::string_view::npos || (a.empty() && b.empty()) ||
          (!a.empty() && !number(a, lo)) || (!b.empty() && !number(b, hi)))
        return fail(pos, "bad gap '{" + std::string(inner) + "}'");
    }
    // ClamAV: a maximum of 0 means "no limit" (so {0}, {0-0}, {n-} and {n-0} are open-ended).
    if (hi == 0) {
      g = Gap{lo, Gap::kUnbounded};
      return true;
    }
    if (lo > hi)
      return fail(pos, "bad range '{" + std::string(inner) + "}': minimum above maximum");
    g = Gap{lo, hi};
    return true;
  }

  bool parse_anchor_range(std::size_t b, std::size_t e, Gap &g) {
    auto inner = t_.substr(b, e - b);
    auto dash = inner.find('-');
    std::uint32_t lo = 0, hi = 0;
    bool ok = dash == std::string_view::npos
                  ? (number(inner, lo) && (hi = lo, true))
                  : (number(inner.substr(0, dash), lo) && number(inner.substr(dash + 1), hi));
    if (!ok)
      return fail(b - 1, "bad byte range '[" + std::string(inner) + "]'");
    if (lo > hi || hi > kMaxAnchorDistance)
      return fail(b - 1, "bad byte range '[" + std::string(inner) +
                             "]': needs n <= m <= " + std::to_string(kMaxAnchorDistance));
    g = Gap{lo, hi};
    return true;
  }

  // One byte token (or an inline {1}) exactly filling [b, e).
  bool anchor_byte(std::size_t b, std::size_t e, std::vector<PatternElement> &out) {
    if (t_[b] == '{') {
      out.push_back(Gap{1, 1});
      return true;
    }
    if (e - b != 2 || !is_hex_or_wild(t_[b]) || !is_hex_or_wild(t_[b + 1]))
      return fail(b, "byte range needs a single byte beside it");
    ByteRun run{byte_token(b)};
    push_run(run, out);
    return true;
  }

  ByteMatch byte_token(std::size_t i) const {
    char h = t_[i], l = t_[i + 1];
    std::uint8_t mask = static_cast<std::uint8_t>((h == '?' ? 0 : 0xf0) | (l == '?' ? 0 : 0x0f));
    std::uint8_t value =
        static_cast<std::uint8_t>(((h == '?' ? 0 : nibble(h)) << 4) | (l == '?' ? 0 : nibble(l)));
    return ByteMatch{value, mask};
  }

  // Appends a run of byte positions, turning letters into case pairs under ::i.
  void push_run(const ByteRun &run, std::vector<PatternElement> &out) const {
    if (!nocase_) {
      out.push_back(run);
      return;
    }
    ByteRun plain;
    for (const auto &m : run) {
      if (m.mask == 0xff && is_letter(m.value)) {
        if (!plain.empty())
          out.push_back(plain), plain.clear();
        std::uint8_t lower = static_cast<std::uint8_t>(m.value | 0x20);
        out.push_back(single_bytes({lower, static_cast<std::uint8_t>(lower & ~0x20)}, false));
      } else {
        plain.push_back(m);
      }
    }
    if (!plain.empty())
      out.push_back(plain);
  }

  bool parse_part(std::size_t b, std::size_t e, std::vector<PatternElement> &out) {
    std::size_t lb = t_.find('[', b);
    if (lb >= e) {
      for (std::size_t i = b; i < e; ++i)
        if (t_[i] == ']')
          return fail(i, "unbalanced ']'");
      return parse_core(b, e, out);
    }
    std::size_t rb = t_.find(']', lb);
    if (rb >= e)
      return fail(lb, "unbalanced '['");
    Gap g1;
    if (!parse_anchor_range(lb + 1, rb, g1))
      return false;
    if (hex_length(b, lb) == 2) {
      // aa[n-m]CORE, optionally CORE[n-m]bb after it.
      if (!anchor_byte(b, lb, out))
        return false;
      out.push_back(g1);
      std::size_t lb2 = t_.find('[', rb);
      if (lb2 >= e)
        return parse_core(rb + 1, e, out);
      std::size_t rb2 = t_.find(']', lb2);
      if (rb2 >= e)
        return fail(lb2, "unbalanced '['");
      Gap g2;
      if (!parse_anchor_range(lb2 + 1, rb2, g2))
        return false;
      if (hex_length(rb2 + 1, e) != 2)
        return fail(lb2, "second byte range must be followed by a single byte");
      if (!parse_core(rb + 1, lb2, out))
        return false;
      out.push_back(g2);
      return anchor_byte(rb2 + 1, e, out);
    }
    if (hex_length(rb + 1, e) == 2) {
      if (!parse_core(b, lb, out))
        return false;
      out.push_back(g1);
      return anchor_byte(rb + 1, e, out);
    }
    return fail(lb, "byte range [n-m] needs a single byte before or after it");
  }

  // The part without its [n-m] anchors: bytes, inline gaps, groups; needs a run of 2 fixed bytes.
  bool parse_core(std::size_t b, std::size_t e, std::vector<PatternElement> &out) {
    if (b >= e)
      return fail(b, "empty signature part");
    std::size_t best_run = 0, run = 0;
    ByteRun bytes;
    auto flush = [&] {
      if (!bytes.empty())
        push_run(bytes, out), bytes.clear();
    };
    for (std::size_t i = b; i < e;) {
      char c = t_[i];
      if (is_hex_or_wild(c)) {
        if (i + 1 >= e || !is_hex_or_wild(t_[i + 1]))
          return fail(i, "odd number of hex digits");
        ByteMatch m = byte_token(i);
        bytes.push_back(m);
        run = m.mask == 0xff ? run + 1 : 0;
        best_run = std::max(best_run, run);
        i += 2;
        continue;
      }
      run = 0;
      if (c == '{') { // inline gap (split gaps never reach here)
        flush();
        std::size_t cl = find_close(i, '}');
        std::uint32_t n = 0;
        number(t_.substr(i + 1, cl - i - 1), n);
        out.push_back(Gap{n, n});
        i = cl + 1;
        continue;
      }
      bool negated = false;
      std::size_t open = i;
      if (c == '!') {
        if (i + 1 >= e || t_[i + 1] != '(')
          return fail(i, "'!' must be followed by '('");
        negated = true;
        open = i + 1;
      } else if (c != '(') {
        return fail(i, std::string("unexpected '") + c + "'");
      }
      std::size_t close = matching_paren(open);
      if (close >= e)
        return fail(open, "unbalanced '('");
      flush();
      auto inner = t_.substr(open + 1, close - open - 1);
      if (inner.empty())
        return fail(open, "empty group '()'");
      if (inner == "B" || inner == "L" || inner == "W") {
        Boundary::Kind kind = inner == "B"   ? Boundary::Kind::word
                              : inner == "L" ? Boundary::Kind::line
                                             : Boundary::Kind::non_alnum;
        if (close + 1 == e) {
          out.push_back(Boundary{kind, Boundary::Side::after, negated,
                                 wide_ && kind == Boundary::Kind::non_alnum});
        } else if (open == b) {
          out.push_back(Boundary{kind, Boundary::Side::before, false,
                                 wide_ && kind == Boundary::Kind::non_alnum});
        } else {
          out.push_back(consuming_boundary(kind, negated));
        }
      } else {
        Alternation alt;
        if (!parse_alternation(open, close, negated, 1, alt))
          return false;
        out.push_back(std::move(alt));
      }
      i = close + 1;
    }
    flush();
    if (best_run < kMinFixedRun)
      return fail(b, "signature part has no run of " + std::to_string(kMinFixedRun) +
                         " fixed bytes (ClamAV needs one in every part)");
    return true;
  }

  static Alternation consuming_boundary(Boundary::Kind kind, bool negated) {
    switch (kind) {
    case Boundary::Kind::word:
      return single_bytes({std::begin(kBoundaryBytes), std::end(kBoundaryBytes)}, negated);
    case Boundary::Kind::line:
      return single_bytes({0x0a}, negated);
    case Boundary::Kind::non_alnum:
      return single_bytes(alnum_bytes(), !negated);
    }
    return {};
  }

  std::size_t matching_paren(std::size_t open) const {
    int depth = 0;
    for (std::size_t i = open; i < t_.size(); ++i) {
      if (t_[i] == '(')
        ++depth;
      else if (t_[i] == ')' && --depth == 0)
        return i;
    }
    return t_.size();
  }

  // (alt|alt|...) between open and close; nested groups are expanded into plain alternatives.
  bool parse_alternation(std::size_t open, std::size_t close, bool negated, int depth,
                         Alternation &out) {
    if (depth > kMaxNesting)
      return fail(open, "alternations nested deeper than " + std::to_string(kMaxNesting));
    std::vector<std::pair<std::size_t, std::size_t>> alts;
    std::size_t start = open + 1;
    int d = 0;
    for (std::size_t i = open + 1; i < close; ++i) {
      if (t_[i] == '(')
        ++d;
      else if (t_[i] == ')')
        --d;
      else if (t_[i] == '|' && d == 0) {
        alts.emplace_back(start, i);
        start = i + 1;
      }
    }
    alts.emplace_back(start, close);
    bool fixed = !any_option_;
    std::size_t first_len = hex_length(alts[0].first, alts[0].second);
    for (auto [b, e] : alts) {
      if (b == e)
        return fail(b, "empty alternative");
      for (std::size_t i = b; i < e; ++i)
        if (t_[i] == '(' || t_[i] == '?' || t_[i] == '{')
          fixed = false;
      if (hex_length(b, e) != first_len)
        fixed = false;
    }
    if (negated && !fixed)
      return fail(open - 1, any_option_ ? "negated alternation cannot take modifiers"
                                        : "negated alternation needs equal-length alternatives "
                                          "without wildcards or nested groups");
    out.negated = negated;
    for (auto [b, e] : alts) {
      std::vector<ByteRun> expanded;
      if (!parse_alternative(b, e, depth, expanded))
        return false;
      for (auto &r : expanded) {
        if (out.alternatives.size() >= kMaxAlternatives)
          return fail(open, "alternation expands to more than " + std::to_string(kMaxAlternatives) +
                                " strings");
        out.alternatives.push_back(std::move(r));
      }
    }
    if (nocase_)
      return apply_nocase(out, open);
    return true;
  }

  // One alternative: bytes, inline gaps (as ?? bytes) and nested groups, expanded to all strings.
  bool parse_alternative(std::size_t b, std::size_t e, int depth, std::vector<ByteRun> &out) {
    out.assign(1, ByteRun{});
    for (std::size_t i = b; i < e;) {
      char c = t_[i];
      if (is_hex_or_wild(c)) {
        if (i + 1 >= e || !is_hex_or_wild(t_[i + 1]))
          return fail(i, "odd number of hex digits");
        for (auto &r : out)
          r.push_back(byte_token(i));
        i += 2;
      } else if (c == '{') {
        std::size_t cl = find_close(i, '}');
        std::uint32_t n = 0;
        number(t_.substr(i + 1, cl - i - 1), n);
        for (auto &r : out)
          r.insert(r.end(), n, ByteMatch{0, 0});
        i = cl + 1;
      } else if (c == '(') {
        if (i > b && t_[i - 1] == '!')
          return fail(i - 1, "negation inside an alternation");
        std::size_t cl = matching_paren(i);
        Alternation inner;
        auto body = t_.substr(i + 1, cl - i - 1);
        if (body == "B" || body == "L" || body == "W")
          return fail(i, "(B), (L), (W) inside an alternation");
        bool saved = nocase_;
        nocase_ = false; // applied once, on the whole alternation
        bool ok = parse_alternation(i, cl, false, depth + 1, inner);
        nocase_ = saved;
        if (!ok)
          return false;
        if (out.size() * inner.alternatives.size() > kMaxAlternatives)
          return fail(i, "alternation expands to more than " + std::to_string(kMaxAlternatives) +
                             " strings");
        std::vector<ByteRun> next;
        for (const auto &prefix : out)
          for (const auto &suffix : inner.alternatives) {
            ByteRun r = prefix;
            r.insert(r.end(), suffix.begin(), suffix.end());
            next.push_back(std::move(r));
          }
        out = std::move(next);
        i = cl + 1;
      } else if (c == '!' && i + 1 < e && t_[i + 1] == '(') {
        return fail(i, "negation inside an alternation");
      } else {
        return fail(i, std::string("unexpected '") + c + "' in an alternation");
      }
    }
    return true;
  }

  // ::i — every fixed letter of every alternative matches in either case.
  bool apply_nocase(Alternation &alt, std::size_t pos) {
    std::vector<ByteRun> out;
    for (const auto &run : alt.alternatives) {
      std::vector<ByteRun> variants(1);
      for (const auto &m : run) {
        if (m.mask == 0xff && is_letter(m.value)) {
          std::size_t n = variants.size();
          for (std::size_t k = 0; k < n; ++k) {
            ByteRun upper = variants[k];
            upper.push_back(ByteMatch{static_cast<std::uint8_t>(m.value & ~0x20), 0xff});
            variants[k].push_back(ByteMatch{static_cast<std::uint8_t>(m.value | 0x20), 0xff});
            variants.push_back(std::move(upper));
          }
        } else {
          for (auto &v : variants)
            v.push_back(m);
        }
        if (out.size() + variants.size() > kMaxAlternatives)
          return fail(pos, "caseless alternation expands to more than " +
                               std::to_string(kMaxAlternatives) + " strings");
      }
      for (auto &v : variants)
        out.push_back(std::move(v));
    }
    alt.alternatives = std::move(out);
    return true;
  }

  // Merges neighbouring byte runs and gaps.
  static void normalise(std::vector<PatternElement> &els) {
    std::vector<PatternElement> out;
    for (auto &el : els) {
      if (!out.empty()) {
        if (auto *r = std::get_if<ByteRun>(&el); r && std::holds_alternative<ByteRun>(out.back())) {
          auto &prev = std::get<ByteRun>(out.back());
          prev.insert(prev.end(), r->begin(), r->end());
          continue;
        }
        if (auto *g = std::get_if<Gap>(&el); g && std::holds_alternative<Gap>(out.back())) {
          auto &prev = std::get<Gap>(out.back());
          std::uint64_t lo = std::uint64_t{prev.min} + g->min;
          std::uint64_t hi = (prev.max == Gap::kUnbounded || g->max == Gap::kUnbounded)
                                 ? Gap::kUnbounded
                                 : std::uint64_t{prev.max} + g->max;
          prev.min = static_cast<std::uint32_t>(std::min<std::uint64_t>(lo, Gap::kUnbounded - 1));
          prev.max = static_cast<std::uint32_t>(std::min<std::uint64_t>(hi, Gap::kUnbounded));
          continue;
        }
      }
      out.push_back(std::move(el));
    }
    els = std::move(out);
  }
};

// ClamAV's cli_sigopts_handler text rewrites for ::f and ::w.
std::string fullword_text(std::string_view hex) {
  std::string s = "(W)" + std::string(hex) + "(W)";
  for (auto &c : s) {
    if (c == '[')
      c = '{';
    else if (c == ']')
      c = '}';
  }
  return s;
}

std::string wide_text(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    if (c == '*' || c == '|' || c == ')' || c == '(' || c == '!') {
      out += c;
      if (c == '(' && i + 2 < hex.size() &&
          (hex[i + 1] == 'B' || hex[i + 1] == 'L' || hex[i + 1] == 'W') && hex[i + 2] == ')') {
        out += hex[i + 1];
        out += ')';
        i += 2;
      }
    } else if (c == '[' || c == '{') {
      out += '{';
      ++i;
      while (i < hex.size() && hex[i] != ']' && hex[i] != '}')
        out += hex[i++];
      out += '}';
    } else if (i + 1 < hex.size()) {
      out += c;
      out += hex[i + 1];
      out += "00";
      ++i;
    } else {
      out += c; // odd trailing nibble: left for the parser to reject
    }
  }
  return out;
}

} // namespace

BodyParseResult parse_body_pattern(std::string_view hex) {
  return Parser(hex, false, false, false).run();
}

BodyVariantsResult parse_body_pattern(std::string_view hex, const BodyPatternOptions &options) {
  BodyVariantsResult result;
  bool any = options.nocase || options.wide || options.fullword || options.ascii;
  std::string base = options.fullword ? fullword_text(hex) : std::string(hex);
  std::vector<std::pair<std::string, bool>> texts; // text, wide
  if (options.wide) {
    texts.emplace_back(wide_text(base), true);
    if (options.ascii)
      texts.emplace_back(base, false);
  } else {
    texts.emplace_back(base, false);
  }
  for (const auto &[text, wide] : texts) {
    auto r = Parser(text, options.nocase, any, wide).run();
    if (!r.ok()) {
      result.patterns.clear();
      result.error = r.error + (text != hex ? " (in the modified form \"" + text + "\")" : "");
      return result;
    }
    result.patterns.push_back(std::move(r.pattern));
  }
  return result;
}

} // namespace vg
