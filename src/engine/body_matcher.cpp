// body_matcher.cpp — verification of one ClamAV body pattern, and its prefilter atom.
//
// Matching works on "segments": the pattern cut at its unbounded gaps (*, {n-}). Within a segment
// every gap is bounded, so for a window of candidate starts the smallest end of a match from each
// start is computed right to left, one element at a time, over the positions the segment can reach
// (a gap is a sliding-window minimum). This costs O(window x elements) with no backtracking,
// whatever the alternations and gaps. Between segments only the smallest end matters (a later
// segment just has to start at or after it plus the gap's minimum), so each later segment is
// searched forward for the earliest end of a match starting at or after that point, with a cache so
// repeated candidate starts do not repeat the search.
#include "engine/body_matcher.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

namespace vg {
namespace {

constexpr std::uint64_t kInf = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kBlock = 1u << 16; // candidate starts evaluated per window
constexpr std::size_t kMaxAtom = 16;

bool is_alnum(std::uint8_t b) {
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
}
// ClamAV's boundary table as clamscan 1.4.6 applies it, measured byte by byte on raw binary data
// (a byte before the match: no control bytes at all; a byte after it: \n and \r but not \t \v \f).
bool word_boundary_before(std::uint8_t b) {
  return b == 0x20 || b == 0x2d || b == 0x2e || b == 0x2f || b == 0x3c || b == 0x40 || b == 0x5f;
}
bool word_boundary_after(std::uint8_t b) {
  return b == 0x0a || b == 0x0d || b == 0x20 || b == 0x22 || b == 0x27 || b == 0x2d || b == 0x2f ||
         b == 0x3d || b == 0x3e || b == 0x5f;
}

bool boundary_holds(const Boundary &b, std::span<const std::uint8_t> d, std::uint64_t p) {
  const std::uint64_t n = d.size();
  bool r = true;
  if (b.side == Boundary::Side::before) {
    if (p > 0) {
      std::uint8_t c = d[p - 1];
      switch (b.kind) {
      case Boundary::Kind::word:
        r = word_boundary_before(c);
        break;
      case Boundary::Kind::line:
        r = c == '\n';
        break;
      case Boundary::Kind::non_alnum:
        r = b.wide ? (p < 2 || !(is_alnum(d[p - 2]) && c == 0)) : !is_alnum(c);
        break;
      }
    }
  } else if (p < n) {
    std::uint8_t c = d[p];
    switch (b.kind) {
    case Boundary::Kind::word:
      r = word_boundary_after(c);
      break;
    case Boundary::Kind::line:
      r = c == '\n' || (c == '\r' && p + 1 < n && d[p + 1] == '\n');
      break;
    case Boundary::Kind::non_alnum:
      r = (b.wide && p + 1 < n) ? !(is_alnum(c) && d[p + 1] == 0) : !is_alnum(c);
      break;
    }
  }
  return r != b.negated;
}

bool run_matches(const ByteRun &run, std::span<const std::uint8_t> d, std::uint64_t p) {
  for (std::size_t i = 0; i < run.size(); ++i)
    if (!run[i].matches(d[p + i]))
      return false;
  return true;
}

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  return a > kInf - b ? kInf : a + b;
}

// Measured byte frequencies, as -log2(p): 70% ELF executables and libraries (/usr/bin,
// /usr/lib/x86_64-linux-gnu, 60 MB) and 30% text (/usr/share/doc, /usr/include, Perl and Python
// sources, 30 MB) on Debian 12; floor p = 1e-5.
constexpr std::array<double, 256> kByteBits = {
    2.0,  5.8,  6.9,  6.8,  7.2,  7.3,  8.7,  8.9,  6.9,  8.8,  7.0,  9.6,  9.2,  9.5,  8.4,  6.6,
    7.9,  9.4,  9.5,  10.1, 9.5,  9.5,  10.3, 9.9,  8.6,  10.4, 10.4, 10.4, 9.2,  10.2, 10.4, 8.7,
    4.6,  10.1, 8.5,  8.9,  6.3,  9.3,  10.1, 9.1,  7.8,  8.2,  8.5,  10.0, 8.1,  8.6,  7.8,  7.6,
    7.6,  7.7,  8.5,  9.1,  9.1,  8.8,  9.5,  9.4,  8.8,  8.7,  9.3,  9.1,  8.5,  8.8,  8.7,  10.6,
    8.8,  6.8,  8.4,  7.9,  7.3,  6.9,  8.7,  8.4,  5.6,  7.1,  10.2, 9.7,  7.0,  8.3,  7.8,  7.8,
    7.9,  10.4, 7.8,  7.2,  7.1,  8.5,  9.4,  9.8,  9.0,  9.2,  10.0, 9.1,  9.2,  9.3,  10.4, 6.2,
    9.5,  6.4,  8.2,  6.9,  6.9,  5.6,  7.1,  8.0,  7.6,  6.3,  10.0, 8.8,  6.8,  7.8,  6.4,  6.5,
    7.1,  10.3, 6.4,  6.2,  5.8,  7.4,  8.7,  9.1,  8.5,  8.5,  10.1, 9.9,  9.3,  9.8,  10.5, 10.6,
    9.0,  10.1, 10.7, 8.1,  8.1,  8.1,  10.4, 10.6, 9.7,  6.6,  10.9, 7.1,  10.2, 7.6,  10.7, 10.8,
    9.3,  11.0, 10.5, 10.8, 10.3, 10.7, 11.0, 11.0, 10.2, 10.9, 11.0, 11.0, 10.7, 11.1, 11.2, 10.8,
    10.0, 11.2, 11.2, 10.6, 10.7, 11.1, 10.9, 11.0, 10.3, 11.1, 11.0, 10.9, 10.8, 11.1, 11.2, 10.9,
    9.8,  10.6, 10.9, 10.8, 10.4, 10.7, 9.9,  10.6, 9.9,  10.5, 10.0, 10.9, 10.4, 10.6, 10.0, 10.2,
    8.2,  9.5,  10.0, 9.1,  9.8,  10.2, 9.8,  9.0,  10.0, 10.0, 10.7, 11.0, 10.7, 10.9, 10.4, 10.7,
    9.5,  10.5, 10.0, 10.7, 10.6, 10.7, 10.8, 10.8, 9.6,  10.4, 10.3, 10.2, 11.0, 10.7, 10.6, 9.6,
    9.3,  10.3, 10.3, 10.8, 10.6, 10.8, 10.4, 10.2, 7.4,  8.8,  10.5, 9.8,  10.1, 10.4, 10.2, 9.6,
    9.3,  10.7, 8.8,  10.2, 10.4, 10.5, 9.6,  10.0, 9.1,  9.9,  9.6,  9.5,  9.0,  9.5,  9.1,  5.5,
};

// -log2 of the probability of a letter in either case, per byte (the plain value for non-letters).
const std::array<double, 256> &caseless_bits() {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (std::size_t b = 0; b < 256; ++b) {
      bool letter = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
      if (!letter) {
        t[b] = kByteBits[b];
        continue;
      }
      double p1 = std::exp2(-kByteBits[b | 0x20]), p2 = std::exp2(-kByteBits[b & ~0x20u]);
      t[b] = -std::log2(p1 + p2);
    }
    return t;
  }();
  return table;
}

// The score of a byte run built one byte at a time: after add() of bytes[0..l), score() equals the
// score of that run (byte j's weight depends only on bytes[0..j]).
class ScoreAccumulator {
public:
  void add(std::uint8_t b, bool caseless) {
    double w = 1.0;
    if (length_ > 0 && last_ == b)
      w = 0.2; // runs of one byte say little
    else if (seen(b))
      w = 0.5;
    if (length_ >= 12)
      w *= 0.25; // beyond 12 bytes extra length barely helps a literal prefilter
    else if (length_ >= 8)
      w *= 0.5;
    seen_[b >> 6] |= std::uint64_t{1} << (b & 63);
    all_fill_ = all_fill_ && (b == 0x00 || b == 0xff || b == 0x20);
    sum_ += w * (caseless ? caseless_bits()[b] : kByteBits[b]);
    last_ = b;
    ++length_;
  }
  double score() const {
    static constexpr double kShort[] = {0, 0.3, 0.6, 0.85};
    double s = sum_;
    if (length_ < 4)
      s *= kShort[length_];
    if (all_fill_)
      s *= 0.5;
    return s;
  }

private:
  bool seen(std::uint8_t b) const { return (seen_[b >> 6] >> (b & 63)) & 1; }
  std::array<std::uint64_t, 4> seen_{};
  std::size_t length_ = 0;
  double sum_ = 0;
  std::uint8_t last_ = 0;
  bool all_fill_ = true;
};

// The compiled form behind BodyMatcher::Compiled.
struct CompiledForm {
  enum class Kind : std::uint8_t { run, alt, boundary, gap };
  struct Step {
    Kind kind;
    std::uint32_t element;        // index into the pattern's elements
    std::int32_t byte_table = -1; // alternations of single bytes: index into tables
    std::uint32_t gap_min = 0, gap_max = 0;
  };
  // The bytes a single-byte alternation accepts, one bit each.
  struct ByteSet {
    std::array<std::uint64_t, 4> bits{};
    void set(std::uint8_t b) { bits[b >> 6] |= std::uint64_t{1} << (b & 63); }
    bool test(std::uint8_t b) const { return (bits[b >> 6] >> (b & 63)) & 1; }
  };
  struct Segment {
    std::vector<Step> steps;
    std::uint64_t gap_before =
        0; // minimum of the unbounded gap in front (segments after the first)
    std::uint64_t min_len = 0, max_len = 0;
    // The leading steps of fixed width (runs, single-byte sets, equal-length alternations,
    // boundaries, fixed gaps): all steps when min_len == max_len.
    std::size_t fixed_steps = 0;
    std::uint64_t fixed_width = 0; // bytes those steps span
    int lead = -1; // the byte every match of the segment begins with, if the pattern fixes it
  };
  std::vector<Segment> segments;
  std::vector<ByteSet> tables;
};

struct Scratch {
  std::vector<std::uint64_t> cur, next;
  std::deque<std::uint64_t> dq;
};

// Per later segment of a find(): earliest end of a match starting at or after a threshold.
struct Memo {
  std::uint64_t from = kInf, start = 0, end = kInf; // answer for thresholds in [from, start]
  std::uint64_t fails_from = kInf;                  // no match starts at or after this
};

struct FindScratch {
  Scratch first, later;
  std::vector<Memo> memo;
};

// Whether `seg`'s first `steps` steps (all of fixed width) match at p; on success p is moved past
// them. The caller makes sure the steps' bytes lie inside d.
bool fixed_steps_match(const CompiledForm &c, const CompiledForm::Segment &seg, std::size_t steps,
                       const std::vector<PatternElement> &els, std::span<const std::uint8_t> d,
                       std::uint64_t &p) {
  using Kind = CompiledForm::Kind;
  for (std::size_t k = 0; k < steps; ++k) {
    const auto &st = seg.steps[k];
    switch (st.kind) {
    case Kind::run: {
      const auto &run = std::get<ByteRun>(els[st.element]);
      if (!run_matches(run, d, p))
        return false;
      p += run.size();
      break;
    }
    case Kind::alt: {
      if (st.byte_table >= 0) {
        if (!c.tables[static_cast<std::size_t>(st.byte_table)].test(d[p]))
          return false;
        ++p;
        break;
      }
      const auto &alt = std::get<Alternation>(els[st.element]);
      bool any = false;
      for (const auto &r : alt.alternatives)
        if (run_matches(r, d, p)) {
          any = true;
          break;
        }
      if (any == alt.negated)
        return false;
      p += alt.alternatives.empty() ? 0 : alt.alternatives[0].size();
      break;
    }
    case Kind::boundary:
      if (!boundary_holds(std::get<Boundary>(els[st.element]), d, p))
        return false;
      break;
    case Kind::gap:
      p += st.gap_min;
      break;
    }
  }
  return true;
}

// For each start s in [a, a + count) the smallest end of a match of `seg` starting at s (kInf:
// none). Result in scratch.next[0 .. count).
void segment_min_ends(const CompiledForm &c, const CompiledForm::Segment &seg,
                      const std::vector<PatternElement> &els, std::span<const std::uint8_t> d,
                      std::uint64_t a, std::uint64_t count, Scratch &sc) {
  using Kind = CompiledForm::Kind;
  const std::uint64_t n = d.size();
  auto &cur = sc.cur;
  auto &next = sc.next;
  // A segment of fixed width is matched start by start, each attempt usually ending at its first
  // byte; for the others, a window in which no start matches the fixed leading steps is done too.
  if (seg.fixed_steps > 0 || seg.steps.empty()) {
    const bool whole = seg.fixed_steps == seg.steps.size();
    const std::uint64_t width = seg.fixed_width;
    next.assign(count, kInf);
    bool any = false;
    // Starts are tried in increasing order; when the segment begins with a fixed byte, memchr
    // jumps to its next occurrence (a later segment may be searched to the end of the data).
    const std::uint64_t last = std::min(a + count - 1, n >= width ? n - width : 0);
    for (std::uint64_t p = a; p <= last && width <= n - p; ++p) {
      if (seg.lead >= 0) {
        const void *hit =
            std::memchr(d.data() + p, seg.lead, static_cast<std::size_t>(last - p + 1));
        if (!hit)
          break;
        p = static_cast<std::uint64_t>(static_cast<const std::uint8_t *>(hit) - d.data());
      }
      std::uint64_t q = p;
      if (fixed_steps_match(c, seg, seg.fixed_steps, els, d, q)) {
        next[p - a] = q;
        any = true;
      }
    }
    if (whole || !any)
      return;
  }
  const std::uint64_t e = std::min(n, sat_add(a + count - 1, seg.max_len));
  const std::uint64_t len = e - a + 1;
  next.resize(len);
  for (std::uint64_t i = 0; i < len; ++i)
    next[i] = a + i;
  cur.resize(len);
  for (auto it = seg.steps.rbegin(); it != seg.steps.rend(); ++it) {
    const auto &st = *it;
    switch (st.kind) {
    case Kind::run: {
      const auto &run = std::get<ByteRun>(els[st.element]);
      const std::uint64_t rl = run.size();
      for (std::uint64_t i = 0; i < len; ++i)
        cur[i] = (i + rl < len && next[i + rl] != kInf && run_matches(run, d, a + i)) ? next[i + rl]
                                                                                      : kInf;
      break;
    }
    case Kind::alt: {
      const auto &alt = std::get<Alternation>(els[st.element]);
      if (st.byte_table >= 0) {
        const auto &tab = c.tables[static_cast<std::size_t>(st.byte_table)];
        for (std::uint64_t i = 0; i < len; ++i)
          cur[i] = (i + 1 < len && tab.test(d[a + i])) ? next[i + 1] : kInf;
        break;
      }
      const std::uint64_t neg_len = alt.alternatives.empty() ? 0 : alt.alternatives[0].size();
      for (std::uint64_t i = 0; i < len; ++i) {
        std::uint64_t best = kInf;
        if (alt.negated) {
          bool any = false;
          for (const auto &r : alt.alternatives)
            if (i + r.size() < len && run_matches(r, d, a + i)) {
              any = true;
              break;
            }
          if (!any && i + neg_len < len)
            best = next[i + neg_len];
        } else {
          for (const auto &r : alt.alternatives)
            if (i + r.size() < len && next[i + r.size()] < best && run_matches(r, d, a + i))
              best = next[i + r.size()];
        }
        cur[i] = best;
      }
      break;
    }
    case Kind::boundary: {
      const auto &b = std::get<Boundary>(els[st.element]);
      for (std::uint64_t i = 0; i < len; ++i)
        cur[i] = (next[i] != kInf && boundary_holds(b, d, a + i)) ? next[i] : kInf;
      break;
    }
    case Kind::gap: {
      // cur[i] = min next[j] for j in [i + gap_min, i + gap_max] within the window.
      auto &dq = sc.dq;
      dq.clear();
      for (std::uint64_t k = len; k-- > 0;) {
        std::uint64_t enter = sat_add(k, st.gap_min);
        if (enter < len) {
          while (!dq.empty() && next[dq.back()] >= next[enter])
            dq.pop_back();
          dq.push_back(enter);
        }
        std::uint64_t limit = sat_add(k, st.gap_max);
        while (!dq.empty() && dq.front() > limit)
          dq.pop_front();
        cur[k] = dq.empty() ? kInf : next[dq.front()];
      }
      break;
    }
    }
    std::swap(cur, next);
  }
}

// The smallest and largest number of bytes an element spans (kInf: unbounded).
std::pair<std::uint64_t, std::uint64_t> element_span(const PatternElement &el) {
  if (auto *r = std::get_if<ByteRun>(&el))
    return {r->size(), r->size()};
  if (auto *a = std::get_if<Alternation>(&el)) {
    if (a->alternatives.empty())
      return {0, 0};
    if (a->negated)
      return {a->alternatives[0].size(), a->alternatives[0].size()};
    std::uint64_t lo = kInf, hi = 0;
    for (const auto &r : a->alternatives)
      lo = std::min<std::uint64_t>(lo, r.size()), hi = std::max<std::uint64_t>(hi, r.size());
    return {lo, hi};
  }
  if (auto *g = std::get_if<Gap>(&el))
    return {g->min, g->max == Gap::kUnbounded ? kInf : std::max(g->min, g->max)};
  return {0, 0}; // a boundary is zero-width
}

CompiledForm compile_form(const BodyPattern &pattern) {
  using Kind = CompiledForm::Kind;
  CompiledForm c;
  const auto &elements = pattern.elements;
  c.segments.emplace_back();
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const auto &el = elements[i];
    CompiledForm::Step st{Kind::run, static_cast<std::uint32_t>(i)};
    auto [lo, hi] = element_span(el);
    if (auto *a = std::get_if<Alternation>(&el)) {
      st.kind = Kind::alt;
      bool single =
          !a->alternatives.empty() && std::all_of(a->alternatives.begin(), a->alternatives.end(),
                                                  [](const ByteRun &r) { return r.size() == 1; });
      if (single) {
        CompiledForm::ByteSet tab;
        for (int b = 0; b < 256; ++b) {
          bool any = false;
          for (const auto &r : a->alternatives)
            any = any || r[0].matches(static_cast<std::uint8_t>(b));
          if (any != a->negated)
            tab.set(static_cast<std::uint8_t>(b));
        }
        st.byte_table = static_cast<std::int32_t>(c.tables.size());
        c.tables.push_back(tab);
      }
    } else if (std::holds_alternative<Boundary>(el)) {
      st.kind = Kind::boundary;
    } else if (auto *g = std::get_if<Gap>(&el)) {
      if (g->max == Gap::kUnbounded) {
        c.segments.emplace_back();
        c.segments.back().gap_before = g->min;
        continue;
      }
      st.kind = Kind::gap;
      st.gap_min = static_cast<std::uint32_t>(lo);
      st.gap_max = static_cast<std::uint32_t>(hi);
    }
    auto &seg = c.segments.back();
    if (seg.steps.empty() && st.kind == Kind::run && !std::get<ByteRun>(el).empty() &&
        std::get<ByteRun>(el)[0].mask == 0xff)
      seg.lead = std::get<ByteRun>(el)[0].value;
    if (seg.fixed_steps == seg.steps.size() && lo == hi) {
      ++seg.fixed_steps;
      seg.fixed_width += lo;
    }
    seg.steps.push_back(st);
    seg.min_len = sat_add(seg.min_len, lo);
    seg.max_len = sat_add(seg.max_len, hi);
  }
  for (auto &seg : c.segments)
    seg.steps.shrink_to_fit();
  return c;
}

} // namespace

// The packed pattern; the unpacked pattern and its minimum length, made when first needed (to
// choose atoms on a cold build, or to verify), and its compiled form, made on the first search:
// most patterns of a large database are never verified, and the unpacked pattern and the form are
// each several times as large as the packed one. Until then a matcher's shared block holds the
// packed pattern, a once flag and a null pointer (~48 bytes with the reference counts).
struct BodyMatcher::Compiled {
  PackedPattern packed;
  const BodyPattern &pattern() const { return unpacked().pattern; }
  std::uint64_t min_len() const { return unpacked().min_len; }
  const CompiledForm &form() const {
    const Unpacked &u = unpacked();
    std::call_once(u.form_once, [&u] { u.form = compile_form(u.pattern); });
    return u.form;
  }

private:
  struct Unpacked {
    BodyPattern pattern;
    std::uint64_t min_len = 0;
    mutable std::once_flag form_once;
    mutable CompiledForm form;
  };
  const Unpacked &unpacked() const {
    std::call_once(unpack_once_, [this] {
      auto u = std::make_unique<Unpacked>();
      u->pattern = packed.unpack();
      for (const auto &el : u->pattern.elements)
        u->min_len = sat_add(u->min_len, element_span(el).first);
      unpacked_ = std::move(u);
    });
    return *unpacked_;
  }
  mutable std::once_flag unpack_once_;
  mutable std::unique_ptr<const Unpacked> unpacked_;
};

BodyMatcher::BodyMatcher(PackedPattern pattern) {
  auto c = std::make_shared<Compiled>();
  c->packed = std::move(pattern);
  compiled_ = std::move(c);
}

BodyMatcher::BodyMatcher(const BodyPattern &pattern) : BodyMatcher(PackedPattern::pack(pattern)) {}

std::size_t BodyMatcher::min_length() const {
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(compiled_->min_len(), std::numeric_limits<std::size_t>::max()));
}

std::optional<BodyMatch> BodyMatcher::match_at(std::span<const std::uint8_t> data,
                                               std::size_t start) const {
  return find(data, start, start);
}

std::optional<BodyMatch> BodyMatcher::find(std::span<const std::uint8_t> data, std::size_t lo,
                                           std::size_t hi) const {
  const Compiled &m = *compiled_;
  const std::uint64_t n = data.size();
  const std::uint64_t min_len = m.min_len();
  if (lo > n || min_len > n)
    return std::nullopt;
  std::uint64_t last = std::min<std::uint64_t>({hi, n, n - min_len});
  if (lo > last)
    return std::nullopt;
  const CompiledForm &c = m.form();
  const auto &els = m.pattern().elements;

  // Working memory is kept per thread: a scan calls find() at every surviving atom hit, and
  // allocating it each time cost more than many searches.
  thread_local FindScratch scratch;
  Scratch &sc = scratch.first, &sc_later = scratch.later;
  std::vector<Memo> &memo = scratch.memo;
  memo.assign(c.segments.size(), Memo{});

  auto earliest_end = [&](std::size_t k, std::uint64_t t) -> std::uint64_t {
    const auto &seg = c.segments[k];
    Memo &m = memo[k];
    if (t >= m.fails_from)
      return kInf;
    if (m.from != kInf && m.from <= t && t <= m.start)
      return m.end;
    std::uint64_t best = kInf, best_start = 0;
    Scratch &local = sc_later;
    // Windows grow from small (a match is usually near) to kBlock.
    std::uint64_t block = 256;
    for (std::uint64_t bs = t; bs <= n && sat_add(bs, seg.min_len) <= n;) {
      std::uint64_t count = std::min(block, n - bs + 1);
      block = std::min(kBlock, block * 4);
      segment_min_ends(c, seg, els, data, bs, count, local);
      bool done = false;
      for (std::uint64_t i = 0; i < count; ++i) {
        if (best != kInf && sat_add(bs + i, seg.min_len) >= best) {
          done = true;
          break;
        }
        if (local.next[i] < best)
          best = local.next[i], best_start = bs + i;
      }
      if (done)
        break;
      bs += count;
    }
    if (best == kInf) {
      m.fails_from = std::min(m.fails_from, t);
      return kInf;
    }
    m.from = t;
    m.start = best_start;
    m.end = best;
    return best;
  };

  std::uint64_t failed_end = kInf;
  for (std::uint64_t bs = lo; bs <= last;) {
    std::uint64_t count = std::min(kBlock, last - bs + 1);
    segment_min_ends(c, c.segments[0], els, data, bs, count, sc);
    const std::vector<std::uint64_t> &ends = sc.next; // earliest_end() works in sc_later
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t end = ends[i];
      // The later segments only see the first segment's end; if they failed after some end,
      // they fail after every larger one.
      if (end == kInf || end >= failed_end)
        continue;
      for (std::size_t k = 1; k < c.segments.size() && end != kInf; ++k)
        end = earliest_end(k, sat_add(end, c.segments[k].gap_before));
      if (end != kInf)
        return BodyMatch{static_cast<std::size_t>(bs + i), static_cast<std::size_t>(end)};
      failed_end = std::min(failed_end, ends[i]);
    }
    bs += count;
  }
  return std::nullopt;
}

double atom_score(std::span<const std::uint8_t> bytes) {
  ScoreAccumulator acc;
  for (std::uint8_t b : bytes)
    acc.add(b, false);
  return bytes.empty() ? 0 : acc.score();
}

// Every start i of an exact run is extended one byte at a time up to max_length bytes; the score of
// each prefix is built from the previous one (ScoreAccumulator), so choosing costs O(run length x
// max_length) and gives every candidate exactly the score atom_score() gives it.
Atom BodyMatcher::choose_atom(std::size_t max_length) const {
  max_length = std::clamp<std::size_t>(max_length, 1, kMaxAtom);
  struct Pos {
    std::uint8_t byte;
    bool caseless;
    std::uint64_t dmin,
        dmax; // distance from pattern start; dmax kInf when unbounded
  };
  struct Best {
    std::array<std::uint8_t, kMaxAtom> bytes{};
    std::size_t length = 0;
    bool caseless = false;
    double score = 0;
    std::uint64_t dmin = 0, dmax = 0;
  } best;
  double best_rank = -std::numeric_limits<double>::infinity();
  std::uint64_t best_width = kInf;
  std::vector<Pos> run;
  run.reserve(64);
  auto flush = [&] {
    for (std::size_t i = 0; i < run.size(); ++i) {
      const std::size_t max_len = std::min(max_length, run.size() - i);
      const std::uint8_t first = run[i].byte;
      const double gap_penalty = run[i].dmax == kInf ? 6.0 : 0.0;
      const double slow_start = (first == 0x00 || first == 0xff) ? 4.0 : 0.0;
      const std::uint64_t width = run[i].dmax == kInf ? kInf : run[i].dmax - run[i].dmin;
      ScoreAccumulator acc;
      bool caseless = false;
      for (std::size_t l = 1; l <= max_len; ++l) {
        const Pos &p = run[i + l - 1];
        acc.add(p.byte, p.caseless);
        caseless = caseless || p.caseless;
        double score = acc.score();
        // Rank: rarity, less for caseless literals and for atoms behind an unbounded gap (their
        // hits leave the start of the match wide open).
        // A single byte is a last resort whatever it is: it hits everywhere. Literals starting
        // with 00 or ff slow a Vectorscan literal set down (DESIGN.md measurements).
        double rank =
            score - (caseless ? 2.0 : 0.0) - gap_penalty - (l == 1 ? 100.0 : 0.0) - slow_start;
        if (rank > best_rank + 1e-9 || (std::abs(rank - best_rank) <= 1e-9 && width < best_width)) {
          best_rank = rank;
          best_width = width;
          for (std::size_t k = 0; k < l; ++k)
            best.bytes[k] = run[i + k].byte;
          best.length = l;
          best.caseless = caseless;
          best.score = score;
          best.dmin = run[i].dmin;
          best.dmax = run[i].dmax;
        }
      }
    }
    run.clear();
  };
  std::uint64_t dmin = 0, dmax = 0;
  auto advance = [&](std::uint64_t lo, std::uint64_t hi) {
    dmin = sat_add(dmin, lo);
    dmax = (dmax == kInf || hi == kInf) ? kInf : sat_add(dmax, hi);
  };
  for (const auto &el : pattern().elements) {
    if (auto *r = std::get_if<ByteRun>(&el)) {
      for (const auto &m : *r) {
        if (m.mask == 0xff)
          run.push_back(Pos{m.value, false, dmin, dmax});
        else
          flush();
        advance(1, 1);
      }
    } else if (auto *a = std::get_if<Alternation>(&el)) {
      const auto &alts = a->alternatives;
      bool case_pair = !a->negated && alts.size() == 2 && alts[0].size() == 1 &&
                       alts[1].size() == 1 && alts[0][0].mask == 0xff && alts[1][0].mask == 0xff &&
                       alts[0][0].value != alts[1][0].value &&
                       (alts[0][0].value | 0x20) == (alts[1][0].value | 0x20) &&
                       (alts[0][0].value | 0x20) >= 'a' && (alts[0][0].value | 0x20) <= 'z';
      if (case_pair)
        run.push_back(Pos{static_cast<std::uint8_t>(alts[0][0].value | 0x20), true, dmin, dmax});
      else
        flush();
      std::uint64_t lo = alts.empty() ? 0 : kInf, hi = 0;
      for (const auto &x : alts)
        lo = std::min<std::uint64_t>(lo, x.size()), hi = std::max<std::uint64_t>(hi, x.size());
      if (a->negated && !alts.empty())
        lo = hi = alts[0].size();
      advance(lo, hi);
    } else if (auto *g = std::get_if<Gap>(&el)) {
      flush();
      advance(g->min, g->max == Gap::kUnbounded ? kInf : std::max(g->min, g->max));
    } else {
      flush();
    }
  }
  flush();
  Atom atom;
  if (best.length == 0)
    return atom;
  atom.bytes.assign(best.bytes.begin(), best.bytes.begin() + static_cast<long>(best.length));
  atom.caseless = best.caseless;
  atom.score = best.score;
  atom.min_distance =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(best.dmin, Gap::kUnbounded - 1));
  atom.max_distance =
      best.dmax >= Gap::kUnbounded ? Gap::kUnbounded : static_cast<std::uint32_t>(best.dmax);
  if (atom.caseless)
    for (auto &b : atom.bytes)
      if (b >= 'A' && b <= 'Z')
        b = static_cast<std::uint8_t>(b | 0x20);
  return atom;
}

namespace {
// A single-byte alternation whose accepted bytes are exactly those b with (b & mask) == value (a
// case pair such as (41|61), or one nibble left open), as that (value, mask).
std::optional<AtomCheck> alternation_as_mask(const Alternation &a) {
  const auto &alts = a.alternatives;
  if (!a.negated && alts.size() == 2 && alts[0].size() == 1 && alts[1].size() == 1 &&
      alts[0][0].mask == 0xff && alts[1][0].mask == 0xff &&
      (alts[0][0].value ^ alts[1][0].value) == 0x20) // a case pair, the ::i modifier's form
    return AtomCheck{0, static_cast<std::uint8_t>(alts[0][0].value & 0xdf), 0xdf};
  if (a.alternatives.empty() || std::any_of(a.alternatives.begin(), a.alternatives.end(),
                                            [](const ByteRun &r) { return r.size() != 1; }))
    return std::nullopt;
  unsigned all_and = 0xff, all_or = 0, count = 0;
  for (unsigned b = 0; b < 256; ++b) {
    bool in = std::any_of(a.alternatives.begin(), a.alternatives.end(), [&](const ByteRun &r) {
      return r[0].matches(static_cast<std::uint8_t>(b));
    });
    if (in == a.negated)
      continue;
    all_and &= b;
    all_or |= b;
    ++count;
  }
  if (count == 0)
    return std::nullopt;
  const unsigned mask = ~(all_and ^ all_or) & 0xffu; // the bits every accepted byte agrees on
  if (count != 1u << (8 - std::popcount(mask)))
    return std::nullopt;
  return AtomCheck{0, static_cast<std::uint8_t>(all_and & mask), static_cast<std::uint8_t>(mask)};
}

// -log2 of the probability that a byte of typical data satisfies (b & mask) == value.
double check_bits(std::uint8_t value, std::uint8_t mask) {
  if (mask == 0xff)
    return kByteBits[value];
  double p = 0;
  for (unsigned b = 0; b < 256; ++b)
    if ((b & mask) == value)
      p += std::exp2(-kByteBits[b]);
  return -std::log2(std::min(1.0, p));
}

// Calls fn(dmin, stretch, value, mask) for every byte position the pattern fixes, in pattern order:
// dmin is its distance from the pattern's start (strictly increasing: each position spans one
// byte) and positions of one stretch lie at constant distances from one another in every match.
template <class Fn> void for_each_fixed_byte(const BodyPattern &pattern, Fn fn) {
  std::uint64_t dmin = 0;
  std::uint32_t stretch = 0;
  for (const auto &el : pattern.elements) {
    if (auto *r = std::get_if<ByteRun>(&el)) {
      for (const auto &m : *r) {
        if (m.mask != 0)
          fn(dmin, stretch, m.value, m.mask);
        ++dmin;
      }
      continue;
    }
    auto [lo, hi] = element_span(el);
    if (lo != hi) {
      ++stretch; // a variable width: what follows moves against what came before
    } else if (auto *a = std::get_if<Alternation>(&el)) {
      if (auto m = alternation_as_mask(*a); m && m->mask != 0)
        fn(dmin, stretch, m->value, m->mask);
    }
    dmin = sat_add(dmin, lo);
  }
}

} // namespace

std::vector<AtomCheck> BodyMatcher::atom_checks(const Atom &atom, std::size_t max) const {
  const std::uint64_t at = atom.min_distance;
  std::optional<std::uint32_t> own; // the atom's stretch
  for_each_fixed_byte(pattern(),
                      [&](std::uint64_t dmin, std::uint32_t stretch, std::uint8_t, std::uint8_t) {
                        if (dmin == at)
                          own = stretch;
                      });
  if (!own || max == 0)
    return {};
  const std::uint64_t atom_end = at + atom.bytes.size();
  // The `max` most selective bytes, in order; among equals the nearest to the atom (its bytes are
  // in cache already), then the earliest.
  struct Candidate {
    AtomCheck check;
    double bits;
    bool before(const Candidate &o) const {
      if (bits != o.bits)
        return bits > o.bits;
      return std::abs(check.offset) < std::abs(o.check.offset);
    }
  };
  std::vector<Candidate> best;
  best.reserve(max + 1);
  for_each_fixed_byte(pattern(), [&](std::uint64_t dmin, std::uint32_t stretch, std::uint8_t value,
                                     std::uint8_t mask) {
    if (stretch != *own)
      return;
    // Inside the atom the prefilter matched every byte exactly, except letters when caseless.
    const bool inside = dmin >= at && dmin < atom_end;
    const std::uint8_t letter = static_cast<std::uint8_t>(value | 0x20);
    if (inside && !(atom.caseless && mask == 0xff && letter >= 'a' && letter <= 'z'))
      return;
    const std::int64_t offset = static_cast<std::int64_t>(dmin) - static_cast<std::int64_t>(at);
    if (offset < std::numeric_limits<std::int16_t>::min() ||
        offset > std::numeric_limits<std::int16_t>::max())
      return;
    const Candidate c{AtomCheck{static_cast<std::int16_t>(offset), value, mask},
                      check_bits(value, mask)};
    auto pos =
        std::find_if(best.begin(), best.end(), [&](const Candidate &b) { return c.before(b); });
    if (pos == best.end() && best.size() == max)
      return;
    best.insert(pos, c);
    if (best.size() > max)
      best.pop_back();
  });
  std::vector<AtomCheck> out;
  out.reserve(best.size());
  for (const Candidate &c : best)
    out.push_back(c.check);
  return out;
}

const BodyPattern &BodyMatcher::pattern() const {
  return compiled_->pattern();
}

const PackedPattern &BodyMatcher::packed() const {
  return compiled_->packed;
}

} // namespace vg
