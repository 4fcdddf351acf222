// html_extractor.hpp — HTML pages: the files they carry inline as data: URIs.
// Promise: yields the decoded content of every "data:…;base64," URI in the page (each named by its
// media type), skipping URIs that are not base64; never reads outside the page.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class HtmlExtractor final : public Extractor {
public:
  const char *family() const override { return "html"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
