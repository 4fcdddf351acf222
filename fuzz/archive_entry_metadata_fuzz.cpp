// libFuzzer target: the hand-written archive header walks that give the .cdb matcher each entry's
// metadata (zip central directory and local headers, the four cpio formats). The first byte picks
// the container type; the rest is the archive. The walk must stay inside the buffer, allocate
// nothing a header merely states, never return more entries than asked for, and never throw.
// tar and 7z headers are read through libarchive, as the extractor reads them, and are left to
// container_dispatch_fuzz: libarchive's 7z reader mallocs sizes a header states (tens of GB),
// which fails cleanly in a release build but is fatal under ASan's allocator.
#include "scan/containers/archive_entry_metadata.hpp"

#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  static constexpr vg::ClamType kTypes[] = {vg::ClamType::zip,      vg::ClamType::posix_tar,
                                            vg::ClamType::old_tar,  vg::ClamType::cpio_old,
                                            vg::ClamType::cpio_odc, vg::ClamType::cpio_newc,
                                            vg::ClamType::cpio_crc, vg::ClamType::sevenzip};
  const vg::ClamType type = kTypes[data[0] % std::size(kTypes)];
  const std::uint64_t max = 1 + data[0] / std::size(kTypes);
  auto listing = vg::list_entry_metadata(type, std::span(data + 1, size - 1), max);
  if (listing.entries.size() > max)
    std::abort();
  for (const auto &e : listing.entries)
    if (e.position == 0 || !e.name)
      std::abort(); // zip and cpio positions count from 1, and their entries always have a name
  return 0;
}
