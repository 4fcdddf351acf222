// zip_hand_decoder.hpp — the zip entries libarchive 3.6 cannot decode (Deflate64, method 9, and
// PKWARE Implode, method 6), found in the zip's central directory and decoded by hand.
// Promise: lists the unencrypted method 6 and 9 entries of a zip; take() decodes the first one not
// yet taken that has the given name into a ChildObject under the sink's limits (size cap:
// `cut`; compression ratio: `ratio_exceeded`), exactly as the libarchive path fills it; a damaged
// entry leaves `unreadable` with the reason, a CRC or size mismatch is reported to the sink as
// damage (the bytes are still scanned). rest() hands over every entry not taken. A directory that
// cannot be read leaves the list empty and says why in directory_error().
#pragma once
#include "scan/containers/extractor.hpp"
#include "scan/containers/zip_central_directory.hpp"

#include <vector>

namespace vg {

class ZipHandDecoder {
public:
  explicit ZipHandDecoder(std::span<const std::uint8_t> zip);

  bool empty() const { return pending_.empty(); }
  const std::string &directory_error() const { return directory_error_; }

  // Decodes the first pending entry called `name` (or `raw_name`) into `c`; false when none.
  bool take(const std::string &name, const std::string &raw_name, ChildObject &c, ChildSink &sink);
  // Hands each entry not taken yet to the sink; false when the sink asked to stop.
  bool rest(ChildSink &sink);

private:
  void decode(const ZipEntry &e, ChildObject &c, ChildSink &sink) const;

  std::span<const std::uint8_t> zip_;
  std::vector<ZipEntry> pending_;
  std::vector<bool> taken_;
  std::string directory_error_;
};

} // namespace vg
