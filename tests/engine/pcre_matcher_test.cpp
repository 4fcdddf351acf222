// PCRE subsignatures: the .ldb field parser and PcreMatcher's ClamAV semantics (offset window,
// anchoring, r, e, g, limits), with cases observed on clamscan 1.4.6. (pcre_clamscan_test.cpp runs
// a random differential against the installed clamscan.)
#include "engine/pcre_matcher.hpp"
#include "signatures/pcre_subsignature.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace vg {
namespace {

std::span<const std::uint8_t> bytes(const std::string &s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

PcreMatcher compile_field(const std::string &field, const PcreLimits &limits = {}) {
  auto p = parse_pcre_subsignature(field);
  EXPECT_TRUE(p.ok()) << field << ": " << p.error;
  auto m = PcreMatcher::compile(p.sig, limits);
  EXPECT_TRUE(m.ok()) << field << ": " << m.error;
  if (!m.ok())
    throw std::runtime_error(m.error);
  return std::move(*m.matcher);
}

// Every counted match start when the field's own offset is resolved for `data`.
std::vector<std::uint64_t> starts(const std::string &field, const std::string &data,
                                  const PcreLimits &limits = {}) {
  auto m = compile_field(field, limits);
  OffsetContext ctx;
  ctx.file_size = data.size();
  std::vector<std::uint64_t> out;
  m.scan(bytes(data), ctx, [&](std::uint64_t s) {
    out.push_back(s);
    return true;
  });
  return out;
}

using Starts = std::vector<std::uint64_t>;

TEST(PcreSubsignatureParse, SplitsOffsetTriggerRegexFlags) {
  auto p = parse_pcre_subsignature("200,300:0&1&2/clamav/ge");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.sig.offset_text, "200,300");
  EXPECT_EQ(p.sig.offset.base, OffsetSpec::Base::absolute);
  EXPECT_EQ(p.sig.offset.delta, 200);
  EXPECT_EQ(p.sig.offset.max_shift, 300u);
  EXPECT_EQ(p.sig.trigger, "0&1&2");
  EXPECT_EQ(p.sig.regex, "clamav");
  PcreFlags f;
  f.global = f.encompass = true;
  EXPECT_EQ(p.sig.flags, f);

  p = parse_pcre_subsignature("0&1/\\x2Eview\\x2Eselection.*?\\x2Etree/smi");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.sig.offset.base, OffsetSpec::Base::any);
  EXPECT_EQ(p.sig.offset_text, "*");
  EXPECT_EQ(p.sig.trigger, "0&1");
  EXPECT_EQ(p.sig.regex, "\\x2Eview\\x2Eselection.*?\\x2Etree");
  EXPECT_TRUE(p.sig.flags.dotall && p.sig.flags.multiline && p.sig.flags.caseless);
  EXPECT_FALSE(p.sig.flags.global);
}

TEST(PcreSubsignatureParse, EveryFlagOfClamAV) {
  auto p = parse_pcre_subsignature("0/a/grEeismxAUg");
  ASSERT_TRUE(p.ok()) << p.error;
  const auto &f = p.sig.flags;
  EXPECT_TRUE(f.global && f.rolling && f.encompass && f.caseless && f.dotall && f.multiline &&
              f.extended && f.anchored && f.dollar_endonly && f.ungreedy);
  for (std::string bad : {"D", "u", "G", "o", " ", "/"}) {
    auto q = parse_pcre_subsignature("0/a/" + bad);
    if (bad == "/") // "0/a//": the last '/' closes, the regex is "a/"; no flags
      EXPECT_TRUE(q.ok()) << q.error;
    else
      EXPECT_FALSE(q.ok()) << bad;
  }
  EXPECT_NE(parse_pcre_subsignature("0/a/D").error.find("'D'"), std::string::npos);
}

TEST(PcreSubsignatureParse, ColonsAndSlashesInsideTheRegex) {
  // ':' between the '/' does not split off an offset (cli_ldbtokenize's within-PCRE state).
  auto p = parse_pcre_subsignature("0/cla:mav/");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.sig.offset_text, "*");
  EXPECT_EQ(p.sig.regex, "cla:mav");
  p = parse_pcre_subsignature("EP+10,20:1/a:b\\/c:d/");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.sig.offset.base, OffsetSpec::Base::entry_point);
  EXPECT_EQ(p.sig.regex, "a:b\\/c:d"); // PCRE2 reads "\/" as '/'
  // The regex runs from the first to the last '/'.
  p = parse_pcre_subsignature("0/a/b/c/i");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.sig.regex, "a/b/c");
  // Three ':'-pieces: ClamAV keeps the first piece only, which has no regex.
  EXPECT_FALSE(parse_pcre_subsignature("1:2:0/x/").ok());
}

TEST(PcreSubsignatureParse, RejectsWhatClamAVRefuses) {
  for (std::string bad :
       std::vector<std::string>{"/abc/", "0:/abc/", "0//", "0/abc", "abc/", "x:0/a/", "EP+:0/a/",
                                std::string("0/a\0b/", 6)}) {
    auto p = parse_pcre_subsignature(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_FALSE(p.error.empty());
  }
}

TEST(PcreSubsignatureParse, WhichFieldsArePcre) {
  EXPECT_TRUE(looks_like_pcre_subsignature("0/abc/"));
  EXPECT_TRUE(looks_like_pcre_subsignature("10:0&1/abc/i"));
  EXPECT_FALSE(looks_like_pcre_subsignature("6162636465"));
  EXPECT_FALSE(looks_like_pcre_subsignature("${6-7}12$"));
  EXPECT_FALSE(looks_like_pcre_subsignature("0(>>4#ib2#=5)"));
  EXPECT_FALSE(looks_like_pcre_subsignature(""));
}

TEST(PcreMatcher, CompileErrorsNameTheRegexAndColumn) {
  auto p = parse_pcre_subsignature("0/ab(c/");
  ASSERT_TRUE(p.ok());
  auto m = PcreMatcher::compile(p.sig);
  ASSERT_FALSE(m.ok());
  EXPECT_FALSE(m.matcher.has_value());
  EXPECT_NE(m.error.find("/ab(c/"), std::string::npos) << m.error;
  EXPECT_NE(m.error.find("offset 4"), std::string::npos) << m.error;
}

// Observed with clamscan 1.4.6 on "NOTbasic x/y aaa" (`0&1` lines, subsig 0 "NOT").
TEST(PcreMatcher, OffsetsAnchoringAndFlagsAsClamscan) {
  const std::string d = "NOTbasic x/y aaa";
  EXPECT_EQ(starts("0:0/basic/", d), Starts{});     // anchored at 0
  EXPECT_EQ(starts("3:0/basic/", d), Starts{3});    // anchored at 3
  EXPECT_EQ(starts("0:0/basic/r", d), Starts{3});   // r: from 0 on
  EXPECT_EQ(starts("0/basic/", d), Starts{3});      // `*`: anywhere
  EXPECT_EQ(starts("2,6:0/basic/e", d), Starts{3}); // e: inside [2, 8)
  EXPECT_EQ(starts("2,5:0/basic/e", d), Starts{});  // e: ends past 2 + 5
  EXPECT_EQ(starts("1,2:0/basic/", d), Starts{3});  // starts by 1 + 2
  EXPECT_EQ(starts("0,2:0/basic/", d), Starts{});   // starts past 0 + 2
  EXPECT_EQ(starts("0/ba:sic|basic/", d), Starts{3});
  EXPECT_EQ(starts("0/x\\/y/", d), Starts{9});
  EXPECT_EQ(starts("0/a/", d), Starts{4});                // first match only (`0&1=1` held)
  EXPECT_EQ(starts("0/a/g", d), (Starts{4, 13, 14, 15})); // every match (`0&1>2` held)
  // An empty match later than where the search resumed is reported once, and the search goes on
  // past it (pcre_subsig_fuzz found "$" reported twice before a final newline); as in ClamAV's
  // loop, no search starts at the very end of the data.
  EXPECT_EQ(starts("0/$/g", "ab\n"), (Starts{2}));
  EXPECT_EQ(starts("0/x*/g", "ab"), (Starts{0, 1}));
  EXPECT_EQ(starts("0/b*/g", "abba"), (Starts{0, 1, 3}));
}

// check_matchers.c pcre_testdata 5-11 semantics, spelled out: the window is [n, n + maxshift).
TEST(PcreMatcher, EncompassWindowEnds) {
  EXPECT_EQ(starts("3,8:0/12345678/e", "not12345678truly"), Starts{3});
  EXPECT_EQ(starts("4,8:0/23456789/e", "not23456789truly"), Starts{}); // starts before 4
  EXPECT_EQ(starts("3,7:0/34567890/e", "not34567890truly"), Starts{}); // ends after 10
  EXPECT_EQ(starts("2,6:0/asad/e", "notasadtruly"), Starts{3});        // maxshift > 0: not anchored
  // At the end of the data the window is cut by the data, not by resolve()'s clipping.
  EXPECT_EQ(starts("10,100:0/end/e", "0123456789end"), Starts{10});
  EXPECT_EQ(starts("EOF-3,100:0/end$/e", "0123456789end"), Starts{10});
}

// Observed with clamscan 1.4.6 (19-byte file, "ab" at 13): EOF-n is computed in 32-bit unsigned
// arithmetic, so EOF-(size+1) wraps to ClamAV's "any offset" and matches anywhere, unanchored,
// while EOF-(size+2) and beyond never match. The same holds for EP-(ep+1).
TEST(PcreMatcher, OffsetOneBeforeTheFileMeansAnywhere) {
  const std::string d = std::string("\0\1\2\3\xfe\xfd\x80\x81NOTxxabyyyy", 19);
  EXPECT_EQ(starts("EOF-6:0/ab/", d), Starts{13});
  EXPECT_EQ(starts("EOF-19:0/ab/", d), Starts{});
  EXPECT_EQ(starts("EOF-19:0/ab/r", d), Starts{13});
  EXPECT_EQ(starts("EOF-20:0/ab/", d), Starts{13});
  EXPECT_EQ(starts("EOF-20,2:0/ab/", d), Starts{13});
  EXPECT_EQ(starts("EOF-21:0/ab/r", d), Starts{});
  EXPECT_EQ(starts("EOF-22:0/ab/r", d), Starts{});

  auto m = compile_field("EP-2241:0/MZ/");
  OffsetContext ctx;
  ctx.file_size = 5000;
  ctx.entry_point = 2240;
  ASSERT_TRUE(PcreMatcher::window_for(m.subsignature().offset, ctx).has_value());
  EXPECT_TRUE(PcreMatcher::window_for(m.subsignature().offset, ctx)->anywhere);
  ctx.entry_point = 2239;
  EXPECT_FALSE(PcreMatcher::window_for(m.subsignature().offset, ctx).has_value());
  ctx.entry_point.reset(); // not an executable: EP offsets never match
  EXPECT_FALSE(PcreMatcher::window_for(m.subsignature().offset, ctx).has_value());
}

TEST(PcreMatcher, VersionInfoOffsetSearchesEverywhere) {
  // clamscan 1.4.6 on pe_allmatch/test.exe: VI:0/MZ/ (not rolling) matches "MZ" at 0.
  auto m = compile_field("VI:0/MZ/");
  OffsetContext ctx;
  ctx.file_size = 10;
  auto w = PcreMatcher::window_for(m.subsignature().offset, ctx);
  ASSERT_TRUE(w.has_value());
  EXPECT_TRUE(w->anywhere);
}

TEST(PcreMatcher, GlobalResumesAtTheMatchEnd) {
  EXPECT_EQ(starts("0/aa/g", "aaaaa"), (Starts{0, 2}));
  EXPECT_EQ(starts("0:0/a/g", "aab"), (Starts{0, 1})); // anchored: each at the previous end
  EXPECT_EQ(starts("0/x*/g", "ab"), (Starts{0, 1}));   // empty matches move on by one byte
  EXPECT_EQ(starts("0/b/g", "abab"), (Starts{1, 3}));
  EXPECT_EQ(starts("0,1:0/b/g", "abab"), (Starts{1})); // the match at 3 starts past 0 + 1
}

TEST(PcreMatcher, SubjectStartsAtTheOffset) {
  // ClamAV passes the data from the offset on: ^ and \A hold there, lookbehind sees nothing before.
  EXPECT_EQ(starts("2:0/^cd/", "abcd"), Starts{2});
  EXPECT_EQ(starts("2:0/(?<=b)cd/", "abcd"), Starts{});
  EXPECT_EQ(starts("9:0/a/r", "abcd"), Starts{}); // offset past the end: the regex does not run
}

TEST(PcreMatcher, CallbackCanStop) {
  auto m = compile_field("0/a/g");
  OffsetContext ctx;
  std::string d = "aaaa";
  ctx.file_size = d.size();
  int n = 0;
  EXPECT_EQ(m.scan(bytes(d), ctx, [&](std::uint64_t) { return ++n < 2; }),
            PcreScanOutcome::stopped);
  EXPECT_EQ(n, 2);
}

// Observed with clamscan 1.4.6 (`0/(a|b)*c/` after "NOT"): 998 'a' then 'c' is detected, 999 is
// not — the interpreter's depth limit (--pcre-recmatch-limit 2000) ends the search. PCRE2's JIT
// ignores that limit, so the matcher must confirm JIT hits with the interpreter.
TEST(PcreMatcher, DepthLimitAsClamscan) {
  for (bool jit : {true, false}) {
    PcreLimits limits;
    limits.use_jit = jit;
    auto m = compile_field("0/(a|b)*c/", limits);
    for (std::size_t n : {998u, 999u, 5000u}) {
      std::string d = std::string(8, '\1') + "NOT" + std::string(n, 'a') + "c";
      OffsetContext ctx;
      ctx.file_size = d.size();
      bool hit = false;
      auto outcome = m.scan(bytes(d), ctx, [&](std::uint64_t) { return hit = true; });
      EXPECT_EQ(hit, n == 998) << "jit " << jit << " n " << n;
      EXPECT_EQ(outcome, n == 998 ? PcreScanOutcome::completed : PcreScanOutcome::limit_hit);
    }
  }
}

// Hostile data cannot hang the matcher: catastrophic backtracking stops at the match limit.
TEST(PcreMatcher, CatastrophicBacktrackingIsBounded) {
  auto m = compile_field("0/(\\w+\\s?)+$/");
  std::string d = std::string(1 << 16, 'a') + "!";
  OffsetContext ctx;
  ctx.file_size = d.size();
  auto t0 = std::chrono::steady_clock::now();
  bool hit = false;
  m.scan(bytes(d), ctx, [&](std::uint64_t) { return hit = true; });
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_FALSE(hit);
  EXPECT_LT(ms, 20000) << "64 KiB of 'a' against (\\w+\\s?)+$ took " << ms << " ms";
  std::cout << "(\\w+\\s?)+$ over 64 KiB of 'a' and '!': " << ms << " ms\n";
}

TEST(PcreMatcher, JitAndInterpreterAgree) {
  const std::vector<std::string> fields = {"0/ab/g",         "0/a+b/gi", "1,3:0/b/ge", "0:0/a*/g",
                                           "2:0/[ab]{2}/rg", "0/b$/m",   "0/^a/gm"};
  const std::string d = "aab\nAB\nab b\nbaab";
  for (const auto &f : fields) {
    PcreLimits no_jit;
    no_jit.use_jit = false;
    EXPECT_EQ(starts(f, d), starts(f, d, no_jit)) << f;
  }
}

// A long search that may release pages moves through 1 MiB windows with partial matching; it must
// count exactly the matches of one whole search, also those that start on a window's edge, run
// across windows, look behind into the previous one or need the end of the data.
TEST(PcreMatcher, ReleasingSearchFindsWhatTheWholeSearchFinds) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  std::string d(5 * kMiB + 123, ' ');
  std::uint32_t x = 12345;
  for (auto &c : d) { // filler without upper-case letters or digits
    x = x * 1103515245u + 12345u;
    c = "abcdefghij \n.-"[(x >> 16) % 14];
  }
  auto plant = [&](std::size_t at, const std::string &t) { d.replace(at, t.size(), t); };
  plant(kMiB - 4, "MARK1234");   // across the first window's end
  plant(2 * kMiB, "MARK5678");   // on a window's first byte
  plant(2 * kMiB + 100, "LONG"); // a match running over two windows
  plant(3 * kMiB + 500, "END");
  plant(4 * kMiB - 1, "Q"); // looked behind from the next window
  plant(4 * kMiB, "XYZ");
  plant(d.size() - 4, "TAIL"); // needs the end of the data
  const std::vector<std::string> fields =
      {
          "0/MARK[0-9]{4}/g", "0/(?<=Q)XYZ/g", "0/LONG[^A-Z]*END/", "0/TAIL$/",
          "0/NOWHERE[0-9]/g", "0/[A-Z]{4}/g",  "0/MARK/",           "0/L.*D/s",
          "0/\\GMARK/g"}; // \G holds only where the search starts (offset 0), never at a window
  for (const auto &f : fields) {
    auto m = compile_field(f);
    OffsetContext ctx;
    ctx.file_size = d.size();
    std::vector<std::uint64_t> whole, windowed;
    m.scan(bytes(d), ctx, [&](std::uint64_t s) {
      whole.push_back(s);
      return true;
    });
    std::size_t released = 0;
    m.scan(
        bytes(d), ctx,
        [&](std::uint64_t s) {
          windowed.push_back(s);
          return true;
        },
        [&](std::size_t b, std::size_t e) {
          EXPECT_LT(b, e) << f;
          released += e - b;
        });
    EXPECT_EQ(windowed, whole) << f;
    if (f == "0/NOWHERE[0-9]/g") {
      EXPECT_TRUE(whole.empty());
      EXPECT_GT(released, 2 * kMiB) << "a search finding nothing released what it left behind";
    }
  }
  EXPECT_EQ(starts("0/MARK[0-9]{4}/g", d), (Starts{kMiB - 4, 2 * kMiB}));
  EXPECT_EQ(starts("0/(?<=Q)XYZ/g", d), Starts{4 * kMiB});
  EXPECT_EQ(starts("0/LONG[^A-Z]*END/", d), Starts{2 * kMiB + 100});
  EXPECT_EQ(starts("0/TAIL$/", d), Starts{d.size() - 4});
  EXPECT_EQ(starts("0/\\GMARK/g", d), Starts{});
}

} // namespace
} // namespace vg
