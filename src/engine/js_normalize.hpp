// js_normalize.hpp — ClamAV 1.4.6's JavaScript normaliser (libclamav/jsparse/js-norm.c), the
// producer of the "javascript" file that cli_scanhtml matches with target 0, 3 and 7 signatures
// and whole-file hashes.
// Promise: JsNormalizer reproduces js-norm.c byte for byte on the input htmlnorm.c hands it: the
// tokeniser (case-sensitive keywords, operators up to 5 characters, string escapes, numbers
// printed with %ld / %g, tokens left unfinished at the end of the input dropped, strings closed),
// the renaming of declared variables and function names to n%03ld per scope, the folding of
// "a"+"b" and unescape("..."), the decoders for eval("..."), dF("...") and the p,a,c,k,e,r/d
// packer, the closing of unbalanced '(' and the output ("<script>" + tokens, lowercased, a space
// only between two alphanumeric characters, "</script>" added when missing, scripts of one file
// separated by '\n'). It never reads outside its input, never throws on any input, and bounds
// its recursion (eval inside eval) at ClamAV's 16 levels.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace vg {

// One <script> element: the chunks htmlnorm.c passes (cli_js_process_buffer), then finish()
// (cli_js_parse_done + cli_js_output).
class JsNormalizer {
public:
  JsNormalizer();
  ~JsNormalizer();
  JsNormalizer(const JsNormalizer &) = delete;
  JsNormalizer &operator=(const JsNormalizer &) = delete;
  JsNormalizer(JsNormalizer &&) noexcept;
  JsNormalizer &operator=(JsNormalizer &&) noexcept;

  // Feeds the next piece of script text; a token may continue into the next piece.
  void process(std::span<const std::uint8_t> chunk);
  // Ends the script and appends its normalised form to `javascript_file` (preceded by '\n' when
  // the file already holds an earlier script of the same HTML file). The normaliser is spent.
  void finish(std::vector<std::uint8_t> &javascript_file);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The normalised form of one script given as one piece: "<script>...</script>".
std::vector<std::uint8_t> normalize_javascript(std::span<const std::uint8_t> script);

} // namespace vg
