// archive_extractor.hpp — archives and compressed streams through libarchive.
// Promise: `Mode::archive` opens every archive format libarchive reads (zip, 7z, rar 4/5, tar, cpio
// in all variants, cab, iso9660, lha/lzh, ar, xar) from memory and yields each regular entry;
// encrypted entries are yielded as encrypted (not read); zip entries compressed with Deflate64 or
// Implode, which libarchive 3.6 cannot decode, are decoded by hand (zip_hand_decoder.hpp) and
// yielded under the same name, limits and order. `Mode::stream` decompresses one gzip,
// bzip2, xz, lzma, zstd, lz4 or compress(.Z) stream into a single child. Directories, links and
// devices are skipped; entry names are reported as stored (they are names, never paths to write
// to).
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class ArchiveExtractor final : public Extractor {
public:
  enum class Mode { archive, stream };
  explicit ArchiveExtractor(Mode m) : mode_(m) {}
  const char *family() const override { return mode_ == Mode::archive ? "archive" : "compressed"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;

private:
  Mode mode_;
};

} // namespace vg
