// mspack_extractor.hpp — Microsoft formats through libmspack: CHM help files and SZDD
// (compress.exe). Promise: reads the container from memory through an in-memory mspack_system (no
// file is opened or written), yields every file of a CHM (names as stored; the "::" system files
// too) and the one file of an SZDD, each cut at the sink's cap.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class MspackExtractor final : public Extractor {
public:
  enum class Format { chm, szdd };
  explicit MspackExtractor(Format f) : format_(f) {}
  const char *family() const override { return format_ == Format::chm ? "chm" : "szdd"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;

private:
  Format format_;
};

} // namespace vg
