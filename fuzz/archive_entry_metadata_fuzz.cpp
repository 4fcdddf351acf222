// libFuzzer target: the archive header walk that gives the .cdb matcher each entry's metadata
// (zip central directory and local headers by hand; tar, cpio and 7z headers through libarchive).
// The first byte picks the container type; the rest is the archive. The walk must stay inside the
// buffer, never return more entries than asked for, and never throw anything but bad_alloc.
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
    if (type != vg::ClamType::sevenzip && e.position == 0)
      std::abort(); // positions count from 1 except in 7z
  return 0;
}
