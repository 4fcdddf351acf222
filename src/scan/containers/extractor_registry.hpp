// extractor_registry.hpp — which extractor opens an object of a given type.
// Promise: returns the one extractor for the ClamAV type (or, for types ClamAV does not name such
// as zstd, lzma, lz4, compress and ar, for the magic bytes), or nullptr for objects that hold none.
// The extractors are stateless and shared by all threads.
#pragma once
#include "engine/file_type.hpp"
#include "scan/containers/extractor.hpp"

namespace vg {

const Extractor *extractor_for(ClamType type, std::span<const std::uint8_t> data);

} // namespace vg
