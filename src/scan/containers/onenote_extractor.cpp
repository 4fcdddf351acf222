#include "scan/containers/onenote_extractor.hpp"

#include "engine/exe_info.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace vg {

namespace {
// {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC} as stored (little-endian fields).
constexpr std::array<std::uint8_t, 16> kFileDataStoreObject = {
    0xE7, 0x16, 0xE3, 0xBD, 0x65, 0x26, 0x11, 0x45, 0xA4, 0xC4, 0x8D, 0x4D, 0x0B, 0x7A, 0x9E, 0xAC};

// The length that FSSHTTPB (MS-FSSHTTPB 2.2.1.1 compact unsigned 64-bit integer) stores right
// before an embedded object's data, if the bytes before `at` hold one that fits the buffer.
std::optional<std::uint64_t> compact_length_before(std::span<const std::uint8_t> data,
                                                   std::size_t at) {
  // Width w in bytes: the low w bits are 0...01 (w < 9); nine bytes: 0x80 then a u64.
  for (std::size_t w = 1; w <= 4; ++w) {
    if (at < w)
      break;
    std::uint64_t v = 0;
    for (std::size_t k = w; k > 0; --k)
      v = v << 8 | data[at - w + k - 1];
    if ((v & ((1u << w) - 1)) != (1u << (w - 1)))
      continue;
    v >>= w;
    if (v >= 64 && v <= data.size() - at)
      return v;
  }
  if (at >= 9 && data[at - 9] == 0x80) {
    std::uint64_t v = ByteView(data).u64(at - 8).value_or(0);
    if (v >= 64 && v <= data.size() - at)
      return v;
  }
  return std::nullopt;
}

// Sections sent by OneNote for the web (the FSSHTTPB revision store) have no FileDataStoreObject;
// their embedded files are stored whole, after their length. Executables among them are found by
// their PE header; the length before them bounds them (else the end of their last section).
void embedded_executables(std::span<const std::uint8_t> data, ChildSink &sink) {
  static constexpr std::array<std::uint8_t, 2> kMz = {'M', 'Z'};
  auto it = data.begin();
  while (sink.keep_going()) {
    it = std::search(it, data.end(), kMz.begin(), kMz.end());
    if (it == data.end())
      return;
    const auto at = static_cast<std::size_t>(it - data.begin());
    ++it;
    auto rest = data.subspan(at);
    ExeInfo pe = parse_pe_header(rest);
    if (!pe.pe || pe.sections.empty() || !pe.error.empty())
      continue;
    std::uint64_t end = 0;
    if (auto n = compact_length_before(data, at)) {
      end = *n;
    } else {
      for (const auto &s : pe.sections)
        end = std::max(end, s.raw_offset + s.raw_size);
      end = std::min<std::uint64_t>(end, rest.size());
    }
    ChildObject c;
    c.name = "executable at offset " + std::to_string(at);
    c.method = "onenote:embedded-pe";
    std::uint64_t take = std::min(end, sink.size_cap());
    c.cut = end > take;
    c.bytes.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(take));
    if (!sink.child(std::move(c)))
      return;
    it = data.begin() + static_cast<std::ptrdiff_t>(at + std::max<std::uint64_t>(end, 2));
  }
}

} // namespace

void OneNoteExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  auto it = data.begin();
  unsigned index = 0;
  while (sink.keep_going()) {
    it = std::search(it, data.end(), kFileDataStoreObject.begin(), kFileDataStoreObject.end());
    if (it == data.end()) {
      if (index == 0)
        embedded_executables(data, sink);
      return;
    }
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
