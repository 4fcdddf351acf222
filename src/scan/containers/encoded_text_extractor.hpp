// encoded_text_extractor.hpp — uuencoded and BinHex text files (ClamAV's CL_TYPE_UUENCODED and
// CL_TYPE_BINHEX). Promise: yields each decoded block of the text (see text_encodings.hpp), at most
// 1000 of them.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class EncodedTextExtractor final : public Extractor {
public:
  const char *family() const override { return "encoded-text"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
