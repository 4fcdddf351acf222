// pcre_subsignature.hpp — one PCRE subsignature field of a ClamAV .ldb line,
// `[Offset:]Trigger/Regex/[Flags]` (ClamAV 0.99+, docs Signatures/LogicalSignatures "PCRE
// subsignatures"; libclamav readdb.c readdb_load_regex_subsignature + matcher-pcre.c
// cli_pcre_addpatt).
// Promise: looks_like_pcre_subsignature() says which .ldb subsignature fields ClamAV hands to its
// PCRE loader (a '/' anywhere, not a `$...$` macro). parse_pcre_subsignature() splits such a field
// exactly as ClamAV 1.4 does and rejects, with a reason, every field ClamAV refuses to load at this
// level (no '/' pair, no trigger, empty regex, a flag outside g r e i s m x A E U, a bad offset).
// It never throws for bad text and never crashes. It does not compile the regex (PcreMatcher does)
// nor parse the trigger: the trigger is a logical expression over the preceding subsignatures and
// the caller parses it with its expression parser (ClamAV also rejects a trigger that names this
// subsignature or a later one — the caller knows the indexes and must check that).
#pragma once
#include "signatures/offset_spec.hpp"

#include <string>
#include <string_view>

namespace vg {

// The flags after the closing '/'. ClamAV's own three (matcher options) and PCRE2 compile options.
struct PcreFlags {
  bool global = false;         // g: every match counts (default: the first only)
  bool rolling = false;        // r: search from the offset instead of anchoring the match at it
  bool encompass = false;      // e: the whole match must lie inside [offset, offset + maxshift]
  bool caseless = false;       // i: PCRE2_CASELESS
  bool dotall = false;         // s: PCRE2_DOTALL
  bool multiline = false;      // m: PCRE2_MULTILINE
  bool extended = false;       // x: PCRE2_EXTENDED
  bool anchored = false;       // A: PCRE2_ANCHORED
  bool dollar_endonly = false; // E: PCRE2_DOLLAR_ENDONLY
  bool ungreedy = false;       // U: PCRE2_UNGREEDY
  friend bool operator==(const PcreFlags &, const PcreFlags &) = default;
};

struct PcreSubsignature {
  // Where the regex may start (`*` when the field has no `Offset:` part). `n,maxshift` is the
  // window [n, n + maxshift]; see PcreMatcher for how ClamAV uses it.
  OffsetSpec offset;
  std::string offset_text = "*";
  // The logical expression that must hold (over the preceding subsignatures' counts) before the
  // regex runs, as written, e.g. "0&1" or "0".
  std::string trigger;
  // The text between the first and the last '/', handed to PCRE2 unchanged, as ClamAV does: "\/"
  // stays "\/" (PCRE2 reads it as a literal '/'), a ';' must already be written "\x3B" because
  // the .ldb line is split on ';' before this parser sees the field.
  std::string regex;
  PcreFlags flags;
};

struct PcreSubsignatureParse {
  PcreSubsignature sig;
  std::string error; // empty on success; otherwise the reason, naming the offending part
  bool ok() const { return error.empty(); }
};

// True for a field ClamAV loads as a PCRE subsignature rather than a body pattern, byte-compare or
// macro subsignature: it contains '/' and does not start with '$'. (Check this before the
// byte-compare test, as ClamAV does.)
bool looks_like_pcre_subsignature(std::string_view field);

// Parses one .ldb subsignature field that looks_like_pcre_subsignature(). ClamAV's split: the field
// is cut on ':' outside /.../ (a '/' preceded by '\' does not open or close); with exactly two
// pieces the first is the offset, with one there is no offset, with more ClamAV keeps only the
// first piece. Then trigger = text before the first '/', regex = between the first and the last
// '/', flags = after the last '/'.
PcreSubsignatureParse parse_pcre_subsignature(std::string_view field);

} // namespace vg
