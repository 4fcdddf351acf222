// tnef_extractor.hpp — TNEF (winmail.dat) attachments, parsed by hand (Debian has no library for
// it). Promise: walks the attribute stream (signature 0x223E9F78) and yields every attAttachData
// with the name of its attAttachTitle; a truncated attribute ends the walk and is reported as
// damage.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class TnefExtractor final : public Extractor {
public:
  const char *family() const override { return "tnef"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
