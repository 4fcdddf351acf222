// rtf_extractor.hpp — RTF documents: their embedded OLE objects.
// Promise: hex-decodes every \objdata group and yields the object inside (the Package's file for
// packaged files, else the OLE1 native data, else the decoded bytes as they are).
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class RtfExtractor final : public Extractor {
public:
  const char *family() const override { return "rtf"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
