// pcre_matcher.hpp — runs one .ldb PCRE subsignature over a file's bytes with ClamAV's semantics
// (libclamav matcher-pcre.c cli_pcre_scanbuf, regex_pcre.c), through PCRE2.
// Promise: compile() turns a parsed PcreSubsignature into a matcher or explains, with PCRE2's
// message and the column, why the regex does not compile (never throws for bad text). scan()
// reports every match start ClamAV would count, as an absolute file offset, in ascending order:
//   - start window: `*` (no window) searches the whole data unanchored. Otherwise the window is
//     lo = the resolved offset and hi = lo + maxshift, NOT clipped to the data (vg::resolve()
//     clips hi to the last byte, which changes what `e` sees at the end of a file: prefer the
//     OffsetContext overload, which resolves as ClamAV does). The regex sees the data from lo on
//     (never the bytes before lo: no lookbehind across it).
//     With maxshift 0 and without the r flag the match is anchored at lo; with r it may start
//     anywhere from lo on. With maxshift > 0: under e the regex sees only [lo, hi) (ClamAV passes
//     maxshift bytes, so the whole match must end by hi), otherwise a match counts only when it
//     starts at or before hi — the first match starting later ends the search.
//   - g: after a match the search resumes at its end and every match counts; without g only the
//     first match counts. (An empty match moves the search on by one byte; ClamAV would loop.)
//   - hostile input cannot hang it: PCRE2's match limit and depth limit are set to ClamAV's
//     defaults (--pcre-match-limit 100000, --pcre-recmatch-limit 2000) and a search that hits one
//     ends with no further matches, as in ClamAV. JIT code is used to find candidate matches fast;
//     every JIT hit is confirmed by the interpreter, because PCRE2's JIT does not enforce the depth
//     limit and would otherwise count matches that clamscan gives up on.
// A PcreMatcher is immutable after compile(); scan() may run concurrently from several threads.
#pragma once
#include "common/digest.hpp"
#include "signatures/offset_spec.hpp"
#include "signatures/pcre_subsignature.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

struct pcre2_real_code_8; // PCRE2's pcre2_code, kept out of this header

namespace vg {

struct PcreLimits {
  std::uint32_t match_limit = 100000; // clamscan --pcre-match-limit default
  std::uint32_t depth_limit = 2000;   // clamscan --pcre-recmatch-limit default
  bool use_jit = true;                // JIT as a pre-filter when PCRE2 supports it here
};

enum class PcreScanOutcome : std::uint8_t {
  completed, // searched everything the semantics allow
  limit_hit, // a match or depth limit ended the search (no further matches, as in ClamAV)
  stopped,   // the callback asked to stop
  error,     // PCRE2 failed otherwise (e.g. out of memory); no further matches
};

// Where a match may start. anywhere: `*`. Otherwise lo = the resolved offset, hi = lo + maxshift.
struct PcreWindow {
  bool anywhere = true;
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  static PcreWindow everywhere() { return {}; }
  static PcreWindow at(std::uint64_t lo, std::uint64_t max_shift) {
    return {false, lo, lo + max_shift};
  }
};

struct PcreCompileResult;

class PcreMatcher {
public:
  // Called with each counted match start (absolute offset into the scanned data). Return false to
  // stop scanning.
  using OnMatch = std::function<bool(std::uint64_t start)>;

  static PcreCompileResult compile(const PcreSubsignature &sig, const PcreLimits &limits = {});

  // `release` (optional) is told of byte ranges of `data` the search has left behind (a mapped
  // file's pages may then be dropped, MappedFile::release): a long unanchored search then moves
  // through windows, finding exactly the matches it finds without.
  PcreScanOutcome scan(std::span<const std::uint8_t> data, const PcreWindow &window,
                       const OnMatch &on_match, const ReleaseFn &release = {}) const;

  // The window for this subsignature's offset in this file, resolved as ClamAV does (hi not
  // clipped); std::nullopt when the file cannot satisfy the offset (no match possible). As in
  // ClamAV's 32-bit arithmetic, EOF-n and EP-n landing exactly one byte before the file mean `*`.
  static std::optional<PcreWindow> window_for(const OffsetSpec &spec, const OffsetContext &ctx);

  // Resolves the subsignature's own offset for this file first. `*` and `VI` (which ClamAV's PCRE
  // matcher treats as `*`) search everywhere; an offset the file cannot satisfy (no entry point,
  // too few sections, past the end) gives no match, like ClamAV's CLI_OFF_NONE.
  PcreScanOutcome scan(std::span<const std::uint8_t> data, const OffsetContext &ctx,
                       const OnMatch &on_match, const ReleaseFn &release = {}) const;

  const PcreSubsignature &subsignature() const { return sig_; }
  bool jit_compiled() const { return jit_; }

  PcreMatcher(PcreMatcher &&) noexcept;
  PcreMatcher &operator=(PcreMatcher &&) noexcept;
  ~PcreMatcher();

private:
  PcreMatcher();
  // The regex with JIT code for PCRE2_PARTIAL_HARD, made on first use (thread-safe); nullptr
  // when PCRE2 cannot JIT-compile it so.
  const pcre2_real_code_8 *partial_code() const;
  struct Code;
  std::unique_ptr<Code> code_;
  PcreSubsignature sig_;
  bool jit_ = false;
};

struct PcreCompileResult {
  std::optional<PcreMatcher> matcher;
  std::string error; // empty on success
  bool ok() const { return error.empty(); }
};

} // namespace vg
