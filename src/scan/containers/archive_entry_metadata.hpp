// archive_entry_metadata.hpp — what an archive says about each of its entries, as libclamav hands
// it to cli_matchmeta() for the .cdb container metadata signatures.
// Promise: list_entry_metadata() reads only headers (never an entry's data, nothing written to
// disk), never reads outside the buffer nor allocates what a header merely states, stops after
// `max_entries`, and reproduces libclamav 1.4's values and order for the container types it knows:
//  - CL_TYPE_ZIP and the OOXML types (unzip.c; the container type is the document's): every
//  central-directory record (zip_central_directory.hpp: zip64,
//    leading bytes allowed), directories included, or the local headers when there is no central
//    directory; compressed and real size from the record, encrypted = general-purpose flag bit 0,
//    position 1, 2, ... in directory order;
//  - CL_TYPE_POSIX_TAR / CL_TYPE_OLD_TAR (untar): regular files only, size in and out the same,
//    position counts the regular files from 1;
//  - CL_TYPE_CPIO_* (cpio.c, walked by hand like libclamav: libarchive's reader allocates the
//    stated name size before checking it): entries of non-zero size of any kind, position counts
//    every header from 1, the name with non-ASCII and any of % \ TAB CR LF replaced by '_' (at
//    most 512 bytes; a header without a name keeps the previous name), the walk ends at the
//    trailer or at the first bad header;
//  - CL_TYPE_7Z (7z_iface.c): files only, compressed size 0 (as libclamav passes), position the
//    0-based index among all entries, directories included; "encrypted" stays set once an
//    encrypted entry was met, as libclamav's flag does.
// Other types yield no entries (RAR: libarchive does not give the packed size; documented gap).
// child_entry_metadata() gives the metadata libclamav passes for a child it only knows once
// extracted: a mail part with a file name that is not uuencoded (mbox.c: the name, its decoded size
// as both sizes, position 0; libclamav also passes unnamed text parts as "unknown" with its own
// text size, which is not reproduced) and a cabinet file (cab.c: the name, packed size 0, the size,
// position 0). `damaged` is set when the headers end early; the entries read until then are kept.
#pragma once
#include "engine/file_type.hpp"
#include "scan/containers/child_object.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vg {

struct ArchiveEntryMetadata {
  std::optional<std::string> name;
  std::optional<std::uint64_t> size_in_container; // nullopt: the format does not say
  std::uint64_t size_real = 0;
  bool encrypted = false;
  std::uint64_t position = 0;
};

struct ArchiveMetadataListing {
  std::vector<ArchiveEntryMetadata> entries;
  std::string damaged; // why the headers could not all be read ("" when they could)
};

// True for the container types whose entries list_entry_metadata() can list.
bool has_entry_metadata(ClamType type);

// True when libclamav matches every entry's metadata before it scans any content (its zip reader
// walks the central directory first); otherwise each entry's metadata is matched just before
// that entry is scanned.
bool metadata_before_content(ClamType type);

std::optional<ArchiveEntryMetadata> child_entry_metadata(ClamType container, const ChildObject &c);

ArchiveMetadataListing list_entry_metadata(ClamType type, std::span<const std::uint8_t> data,
                                           std::uint64_t max_entries);

} // namespace vg
