// text_normalize.hpp — the normalised forms of text and HTML that ClamAV matches text signatures
// against, and which buffers each signature target type is matched against.
// Promise: normalize_text() and normalize_html() reproduce ClamAV 1.4.6's textnorm.c and htmlnorm.c
// byte for byte on the paths listed below, never read outside the input, run in time linear in its
// size and never throw; scan_buffers() tells the engine which (buffer, target types) pairs ClamAV
// scans for a file.
//
// What ClamAV 1.4.6 scans, per file type (scanners.c cli_magic_scan / scanraw / cli_scanscript /
// cli_scanhtml, matcher.c cli_scan_fmap + cli_mtargets), verified with clamscan 1.4.6:
//  - Every type except CL_TYPE_IGNORED and HTML: the raw bytes with the target-0 signatures plus
//  the
//    signatures of the target cli_mtargets assigns to the type (PE 1, OLE2 2, mail 4, graphics 5,
//    ELF 6, Mach-O 9, PDF 10, Flash 11, Java 12) — but a TEXT_ASCII file's raw bytes get only
//    target 0 (scanraw passes CL_TYPE_ANY), and other text types have no target of their own.
//  - Text (ASCII, UTF-8, UTF-16): unless the raw scan found an HTML marker (below), the whole file
//    (up to MaxScriptNormalize, 20 MiB) is normalised by textnorm.c — ASCII letters lowercased,
//    runs of \t \n \v \f \r and space become one space, other control bytes and all bytes >= 0x80
//    dropped — and the result is matched with target 7 AND target 0 signatures. Target 7 never runs
//    on raw bytes: "Hello\tWORLD" in a text file matches 7:*:68656c6c6f20776f726c64 only.
//  - A TEXT_ASCII file whose raw scan meets an HTML recognition marker anywhere (e.g. "<html>"
//  after
//    the first KiB) is scanned as HTML (next item) instead of being text-normalised; a mail marker
//    makes ClamAV also parse it as mail and scan the raw bytes with targets 0 and 4.
//  - HTML (typed from the first KiB, or re-typed as above), up to MaxHTMLNormalize (40 MiB): the
//  raw
//    bytes are NOT scanned (DCONF HTMLSKIPRAW) when the file was typed HTML up front; htmlnorm.c
//    writes "nocomment.html" (tags kept and lowercased, comments dropped, whitespace collapsed,
//    entities decoded) and, for files up to MaxHTMLNoTags (8 MiB), "notags.html" (text only, plus
//    href/src values); each is matched with target 3 AND target 0 signatures. Target 3 signatures
//    therefore only ever see normalised HTML.
//  - Binary data (CL_TYPE_BINARY_DATA): raw with target 0, then again with targets 0 and 14.
//  - Whole-file hash signatures (.hdb/.hsb) are checked where the raw scan happens, and on the
//    HTML normalisations (which ClamAV scans as files of their own) — not on raw HTML files, not
//    on the normalised text, and not at all on CL_TYPE_IGNORED files (all verified with clamscan).
// <script language="JScript.Encode"/"VBScript.Encode"> bodies are decoded as ClamAV does.
//  - The "javascript" file htmlnorm.c writes (js-norm.c's output for every <script> element,
//    which is fed the element's raw text chunk by chunk, up to and including "</script>") is
//    matched with target 0, 3 and 7 signatures and whole-file hashes (cli_scanhtml scans it as
//    CL_TYPE_HTML and then as CL_TYPE_TEXT_ASCII; verified with clamscan 1.4.6).
// Not reproduced here: encoded ASP blocks (<%@ language=...encode %>), and the scanning of data:
// URIs (their contents are returned, for the caller to scan as files, in the exact form ClamAV
// writes them).
#pragma once
#include "engine/file_type.hpp"
#include "signatures/target_type.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vg {

// ClamAV's default size limits for normalisation (clamd.conf MaxScriptNormalize, MaxHTMLNormalize,
// MaxHTMLNoTags).
inline constexpr std::size_t kMaxScriptNormalize = 20u << 20;
inline constexpr std::size_t kMaxHtmlNormalize = 40u << 20;
inline constexpr std::size_t kMaxHtmlNoTags = 8u << 20;

// textnorm.c over the whole input as one stream.
std::vector<std::uint8_t> normalize_text(std::span<const std::uint8_t> data);

struct HtmlNormalized {
  std::vector<std::uint8_t> nocomment; // nocomment.html
  std::vector<std::uint8_t> notags;    // notags.html
  // The "javascript" file: every <script> element's content through ClamAV's JavaScript
  // normaliser (js_normalize.hpp), one "<script>...</script>" per element, '\n' between them;
  // empty when the file has no <script>.
  std::vector<std::uint8_t> javascript;
  // One entry per data: URI: the file ClamAV writes for it ("From html-normalise\nContent-type:
  // ...\n\n" + data with %XX decoded), which ClamAV then scans as a file (it types as mail).
  std::vector<std::vector<std::uint8_t>> data_uris;
};

// htmlnorm.c (cli_html_normalise with ClamAV's default configuration, no URL collection).
HtmlNormalized normalize_html(std::span<const std::uint8_t> data);

// One buffer ClamAV matches signatures against, and the target types whose signatures run on it
// (TargetType::any listed explicitly when the generic signatures run too).
struct ScanBuffer {
  std::string label;              // "raw", "normalized-text", "html-nocomment", "html-notags"
  bool raw = false;               // true: the file's own bytes (data is then empty)
  bool hashed = false;            // whole-buffer hash signatures (.hdb/.hsb) are checked on it
  std::vector<std::uint8_t> data; // the normalised bytes otherwise
  std::vector<TargetType> targets;
};

// The buffers ClamAV 1.4.6 scans for a file whose type is `type` (from detect_clamav_type), as
// described above. Data URIs are not included (see HtmlNormalized::data_uris).
std::vector<ScanBuffer> scan_buffers(std::span<const std::uint8_t> data, ClamType type);

} // namespace vg
