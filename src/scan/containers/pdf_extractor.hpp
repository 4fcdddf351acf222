// pdf_extractor.hpp — the streams of a PDF file, decoded.
// Promise: finds every `stream … endstream` body of every object (by its direct /Length when that
// lands on "endstream", else by the next "endstream"), applies its /Filter chain for FlateDecode,
// ASCIIHexDecode and ASCII85Decode (stopping at the first other filter and yielding what it has),
// and yields each stream named "obj N G". A damaged Flate stream yields what inflated before the
// damage.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class PdfExtractor final : public Extractor {
public:
  const char *family() const override { return "pdf"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
