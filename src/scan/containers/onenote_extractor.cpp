#include "scan/containers/onenote_extractor.hpp"

#include "engine/exe_info.hpp"

#include <algorithm>
#include <array>

namespace vg {

namespace {
// {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC} as stored (little-endian fields).
constexpr std::array<std::uint8_t, 16> kFileDataStoreObject = {
    0xE7, 0x16, 0xE3, 0xBD, 0x65, 0x26, 0x11, 0x45, 0xA4, 0xC4, 0x8D, 0x4D, 0x0B, 0x7A, 0x9E, 0xAC};
} // namespace

void OneNoteExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  auto it = data.begin();
  unsigned index = 0;
  while (sink.keep_going()) {
    it = std::search(it, data.end(), kFileDataStoreObject.begin(), kFileDataStoreObject.end());
    if (it == data.end())
      return;
    std::size_t p = static_cast<std::size_t>(it - data.begin()) + 16;
    it += 16;
    if (data.size() - p < 20) {
      sink.damaged("OneNote file data object truncated at offset " + std::to_string(p));
      return;
    }
    std::uint64_t len = ByteView(data).u64(p).value_or(0);
    p += 20; // cbLength, unused, reserved
    ChildObject c;
    c.name = "file data " + std::to_string(++index);
    c.method = "onenote:FileDataStoreObject";
    std::uint64_t avail = data.size() - p;
    if (len > avail)
      sink.damaged(c.name + " is truncated");
    std::uint64_t take = std::min({len, avail, sink.size_cap()});
    c.cut = std::min(len, avail) > sink.size_cap();
    c.bytes.assign(data.begin() + static_cast<std::ptrdiff_t>(p),
                   data.begin() + static_cast<std::ptrdiff_t>(p + take));
    it = data.begin() + static_cast<std::ptrdiff_t>(p + take);
    if (!sink.child(std::move(c)))
      return;
  }
}

} // namespace vg
