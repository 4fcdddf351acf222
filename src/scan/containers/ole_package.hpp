// ole_package.hpp — OLE1 embedded objects: the "Package" object that wraps a dropped file (as
// stored in an OLE2 "\001Ole10Native" stream and in an RTF \objdata group). Promise: the parsers
// read only inside the given bytes; on anything malformed they return nullopt (the caller then
// scans the raw bytes), never throw.
#pragma once
#include "scan/containers/child_object.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace vg {

// A Package's native data (u16 type 2, label, file path, temp path, u32 size, content): the file.
std::optional<ChildObject> parse_ole_package(std::span<const std::uint8_t> native);

// An OLE2 "\001Ole10Native" stream: u32 size, then the Package native data.
std::optional<ChildObject> parse_ole10_native(std::span<const std::uint8_t> stream);

// An OLE1 object as RTF's \objdata holds it (version, format, class, topic, item, native data): the
// Package's file when the class is "Package", else the native data (an OLE2 file, for instance).
std::optional<ChildObject> parse_ole1_object(std::span<const std::uint8_t> object);

} // namespace vg
