// zip_central_directory.hpp — a zip file's own index, read by hand for the entries libarchive
// cannot decode (Deflate64 and Implode).
// Promise: finds the end-of-central-directory record (zip64 too) in the last 64 KiB of the file,
// walks the central directory and hands each entry (name as stored, method, flags, CRC, sizes and
// the offset of its local header, zip64 extra field applied) to the visitor, in directory order.
// Leading bytes (self-extracting stub, split-zip marker) are allowed: offsets are shifted by the
// difference between where the directory says it starts and where it is. Never reads outside
// the buffer; a damaged directory throws vg::Error naming the record and the reason.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace vg {

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0; // 0 stored, 6 implode, 8 deflate, 9 deflate64, ...
  std::uint16_t flags = 0;  // general-purpose bit flag
  std::uint32_t crc32 = 0;
  std::uint64_t packed_size = 0;
  std::uint64_t size = 0;
  std::uint64_t local_header = 0; // offset in the buffer (already shifted)
  bool encrypted() const { return (flags & 1u) != 0; }
};

// Whether `zip` ends with an end-of-central-directory record.
bool has_zip_directory(std::span<const std::uint8_t> zip);

// Calls `visit` for each entry; stops early when it returns false.
void for_each_zip_entry(std::span<const std::uint8_t> zip,
                        const std::function<bool(const ZipEntry &)> &visit);

// The entry's compressed bytes, found through its local header.
std::span<const std::uint8_t> zip_entry_data(std::span<const std::uint8_t> zip,
                                             const ZipEntry &entry);

} // namespace vg
