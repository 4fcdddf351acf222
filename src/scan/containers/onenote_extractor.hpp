// onenote_extractor.hpp — OneNote sections (.one): the files embedded in them.
// Promise: yields the data of every FileDataStoreObject (found by its header GUID, bounded by its
// cbLength and the buffer), in file order.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class OneNoteExtractor final : public Extractor {
public:
  const char *family() const override { return "onenote"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
