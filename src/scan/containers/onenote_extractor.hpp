// onenote_extractor.hpp — OneNote sections (.one): the files embedded in them.
// Promise: yields the data of every FileDataStoreObject (found by its header GUID, bounded by its
// cbLength and the buffer), in file order. A section without any (OneNote for the web's FSSHTTPB
// export) yields instead each embedded PE executable, cut at the end of its last section.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class OneNoteExtractor final : public Extractor {
public:
  const char *family() const override { return "onenote"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
