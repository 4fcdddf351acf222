// libFuzzer target: file typing, the recognition patterns, text/HTML normalisation and the scan
// buffer plan on arbitrary bytes. Checks bounds and the invariants of each result.
#include "engine/file_type.hpp"
#include "engine/text_normalize.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const vg::ClamType t = vg::detect_clamav_type(bytes);
  const vg::FileKind k = vg::kind_of(t, bytes);
  if (k != vg::detect_file_type(bytes))
    std::abort();
  (void)vg::target_type_for(k);
  (void)vg::clamav_target_of(t);
  (void)vg::clamav_type_name(t);
  (void)vg::recognize_embedded_type(bytes);

  const auto text = vg::normalize_text(bytes);
  if (text.size() > size)
    std::abort();
  for (std::uint8_t c : text)
    if (c >= 0x80 || (c >= 'A' && c <= 'Z') || (c < 0x20))
      std::abort();

  const auto html = vg::normalize_html(bytes);
  // Worst case growth: one byte can become an 8-byte "&#xhhhh;" reference.
  if (html.nocomment.size() > 8 * size + 16 || html.notags.size() > 2 * size + 16)
    std::abort();

  for (const auto &b : vg::scan_buffers(bytes, t))
    if (b.targets.empty() || (b.raw && !b.data.empty()))
      std::abort();
  return 0;
}
