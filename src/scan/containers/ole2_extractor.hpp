// ole2_extractor.hpp — OLE2 compound files (.doc .xls .ppt .msi, vbaProject.bin) through libgsf.
// Promise: yields every stream of every storage (named by its path), the VBA project's modules as
// decompressed source ("vba:Module"), the file of each "\001Ole10Native" Package object, and the
// OLE objects inside a "PowerPoint Document" stream. Storages nested deeper than the sink's depth
// are reported as MaxRecursion.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class Ole2Extractor final : public Extractor {
public:
  const char *family() const override { return "ole2"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
