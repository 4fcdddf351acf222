// powerpoint_objects.hpp — OLE objects embedded in a PowerPoint 97-2003 "PowerPoint Document"
// stream. Promise: walks the stream's record tree (containers nested at most 64 deep, bounded by
// the stream) and returns each ExOleObjStg record's object (zlib-inflated when stored compressed),
// each at most `cap` bytes; malformed records end the walk with what was found so far.
#pragma once
#include "scan/containers/child_object.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace vg {

std::vector<ChildObject> powerpoint_ole_objects(std::span<const std::uint8_t> stream,
                                                std::uint64_t cap, std::size_t max_objects);

} // namespace vg
