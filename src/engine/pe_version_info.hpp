// pe_version_info.hpp — where a PE file's VERSIONINFO strings sit, for ClamAV's `VI` offset.
// Promise: version_info_offsets() walks the resource directory to every RT_VERSION resource and
// returns the file offsets of the key of each String in its StringFileInfo tables (the positions at
// which a `VI` body signature may start, as ClamAV's PE parser records them). It never reads
// outside the buffer, bounds its walk (depth, entry counts, cycles), and returns what it found
// before any malformed structure.
#pragma once
#include "engine/exe_info.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace vg {

std::vector<std::uint64_t> version_info_offsets(std::span<const std::uint8_t> data,
                                                const ExeInfo &pe);

} // namespace vg
