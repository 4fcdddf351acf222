#include "scan/containers/zip_hand_decoder.hpp"

#include "common/error.hpp"
#include "scan/containers/explode.hpp"
#include "scan/containers/inflate64.hpp"

#include <algorithm>
#include <zlib.h>

namespace vg {

namespace {

constexpr std::uint16_t kImplode = 6;
constexpr std::uint16_t kDeflate64 = 9;

std::uint32_t crc_of(const std::vector<std::uint8_t> &b) {
  uLong crc = crc32(0, nullptr, 0);
  for (std::size_t at = 0; at < b.size();) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(b.size() - at, 1u << 30));
    crc = crc32(crc, b.data() + at, n);
    at += n;
  }
  return static_cast<std::uint32_t>(crc);
}

} // namespace

ZipHandDecoder::ZipHandDecoder(std::span<const std::uint8_t> zip) : zip_(zip) {
  try {
    for_each_zip_entry(zip, [&](const ZipEntry &e) {
      if ((e.method == kImplode || e.method == kDeflate64) && !e.encrypted())
        pending_.push_back(e);
      return true;
    });
  } catch (const Error &err) {
    pending_.clear();
    directory_error_ = err.what();
  }
  taken_.assign(pending_.size(), false);
}

bool ZipHandDecoder::take(const std::string &name, const std::string &raw_name, ChildObject &c,
                          ChildSink &sink) {
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (taken_[i] || (pending_[i].name != name && pending_[i].name != raw_name))
      continue;
    taken_[i] = true;
    decode(pending_[i], c, sink);
    return true;
  }
  return false;
}

bool ZipHandDecoder::rest(ChildSink &sink) {
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (taken_[i])
      continue;
    if (!sink.keep_going())
      return false;
    taken_[i] = true;
    ChildObject c;
    c.name = pending_[i].name;
    decode(pending_[i], c, sink);
    if (!sink.child(std::move(c)))
      return false;
  }
  return true;
}

void ZipHandDecoder::decode(const ZipEntry &e, ChildObject &c, ChildSink &sink) const {
  c.bytes.clear();
  c.cut = c.ratio_exceeded = c.encrypted = false;
  c.unreadable.clear();
  c.method = e.method == kDeflate64 ? "ZIP (deflate64)" : "ZIP (implode)";
  try {
    const auto data = zip_entry_data(zip_, e);
    c.packed_size = data.size();
    // Stop one byte past what the ratio allows, so that breaking it is seen.
    std::uint64_t limit = sink.size_cap();
    bool ratio_bound = false;
    if (sink.max_ratio() > 0) {
      const double allowed =
          std::max(static_cast<double>(sink.ratio_floor()),
                   sink.max_ratio() * static_cast<double>(std::max<std::size_t>(data.size(), 1)));
      if (allowed < static_cast<double>(limit)) {
        limit = static_cast<std::uint64_t>(allowed) + 1;
        ratio_bound = true;
      }
    }
    ZipDecoded d =
        e.method == kDeflate64 ? inflate64(data, limit) : explode(data, e.flags, e.size, limit);
    c.bytes = std::move(d.bytes);
    if (ratio_bound && sink.ratio_broken(c.bytes.size(), data.size())) {
      c.ratio_exceeded = true;
    } else if (d.cut) {
      c.cut = true;
    } else if (c.bytes.size() != e.size) {
      sink.damaged(e.name + ": " + std::to_string(c.bytes.size()) +
                   " bytes decoded, the directory says " + std::to_string(e.size));
    } else if (crc_of(c.bytes) != e.crc32) {
      sink.damaged(e.name + ": CRC-32 of the decoded bytes does not match the directory's");
    }
  } catch (const Error &err) {
    c.bytes.clear();
    c.unreadable = err.what();
  }
}

} // namespace vg
