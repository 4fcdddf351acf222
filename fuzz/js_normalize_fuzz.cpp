// libFuzzer target: ClamAV's JavaScript normaliser on arbitrary script text, fed whole and split
// into two pieces at a position taken from the input, and the "javascript" file of HTML built
// around it. Checks the framing and that the output is lowercased with spaces only as ' '.
#include "engine/js_normalize.hpp"
#include "engine/text_normalize.hpp"

#include <cstdlib>
#include <string>
#include <vector>

namespace {

void check(const std::vector<std::uint8_t> &out) {
  static const std::string open = "<script>";
  if (out.size() < open.size() + 9 || !std::equal(open.begin(), open.end(), out.begin()))
    std::abort();
  for (std::uint8_t c : out)
    if ((c >= 'A' && c <= 'Z') || c == '\t' || c == '\n' || c == '\r' || c == 0)
      std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  check(vg::normalize_javascript(bytes));

  const std::size_t split = size ? data[0] % (size + 1) : 0;
  vg::JsNormalizer js;
  js.process(bytes.first(split));
  js.process(bytes.subspan(split));
  std::vector<std::uint8_t> out;
  js.finish(out);
  check(out);
  js.process(bytes); // a finished normaliser ignores further input
  std::vector<std::uint8_t> again;
  js.finish(again);
  if (!again.empty())
    std::abort();

  const std::string prefix = "<html><script>x "; // 'x' ends the tag's white space
  std::vector<std::uint8_t> html(prefix.begin(), prefix.end());
  html.insert(html.end(), data, data + size);
  const auto norm = vg::normalize_html(html);
  if (norm.javascript.empty())
    std::abort(); // the <script> element always yields a "javascript" file
  return 0;
}
