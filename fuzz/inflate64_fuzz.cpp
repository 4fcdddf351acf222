// libFuzzer target: the Deflate64 decoder on arbitrary bytes, the same bytes as the Deflate64
// entry of a zip read through the archive extractor, and the same bytes as a whole zip for the
// hand-read central directory. Checks that output never passes the limit, that `consumed` and
// every entry's data stay inside the input, and that only vg::Error escapes.
#include "common/error.hpp"
#include "scan/containers/archive_extractor.hpp"
#include "scan/containers/inflate64.hpp"
#include "scan/containers/zip_central_directory.hpp"

#include <cstdlib>
#include <vector>
#include <zlib.h>

namespace {

constexpr std::uint64_t kLimit = 1 << 18;

class BoundedSink final : public vg::ChildSink {
public:
  std::uint64_t size_cap() const override { return kLimit; }
  double max_ratio() const override { return 250; }
  std::uint64_t ratio_floor() const override { return 1 << 12; }
  bool keep_going() const override { return true; }
  unsigned depth_left() const override { return 2; }
  void limit_reached(const char *, const std::string &) override {}
  void damaged(const std::string &) override {}
  bool child(vg::ChildObject &&c) override {
    if (c.bytes.size() > kLimit)
      std::abort();
    return true;
  }
};

void put(std::vector<std::uint8_t> &b, std::uint32_t v, int n) {
  for (int i = 0; i < n; ++i)
    b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// One-entry zip with `method` and the fuzzer's bytes as its data.
std::vector<std::uint8_t> zip_of(const std::uint8_t *d, std::size_t n, std::uint16_t method,
                                 std::uint16_t flags) {
  std::vector<std::uint8_t> z;
  const auto size = static_cast<std::uint32_t>(n);
  put(z, 0x04034b50, 4), put(z, 20, 2), put(z, flags, 2), put(z, method, 2), put(z, 0, 4);
  put(z, 0, 4), put(z, size, 4), put(z, size * 4 + 1, 4), put(z, 1, 2), put(z, 0, 2);
  z.push_back('f');
  z.insert(z.end(), d, d + n);
  const auto cd = static_cast<std::uint32_t>(z.size());
  put(z, 0x02014b50, 4), put(z, 20, 2), put(z, 20, 2), put(z, flags, 2), put(z, method, 2);
  put(z, 0, 4), put(z, 0, 4), put(z, size, 4), put(z, size * 4 + 1, 4), put(z, 1, 2);
  put(z, 0, 2), put(z, 0, 2), put(z, 0, 2), put(z, 0, 2), put(z, 0, 4), put(z, 0, 4);
  z.push_back('f');
  const auto cd_size = static_cast<std::uint32_t>(z.size()) - cd;
  put(z, 0x06054b50, 4), put(z, 0, 4), put(z, 1, 2), put(z, 1, 2), put(z, cd_size, 4);
  put(z, cd, 4), put(z, 0, 2);
  return z;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  try {
    auto d = vg::inflate64({data, size}, kLimit);
    if (d.bytes.size() > kLimit || d.consumed > size || (d.cut && d.bytes.size() != kLimit))
      std::abort();
  } catch (const vg::Error &) {
  }
  try {
    const std::span<const std::uint8_t> zip(data, size);
    vg::for_each_zip_entry(zip, [&](const vg::ZipEntry &e) {
      try {
        auto d = vg::zip_entry_data(zip, e);
        if (d.data() < data || d.data() + d.size() > data + size)
          std::abort();
      } catch (const vg::Error &) {
      }
      return true;
    });
  } catch (const vg::Error &) {
  }
  BoundedSink sink;
  vg::ArchiveExtractor(vg::ArchiveExtractor::Mode::archive).extract(zip_of(data, size, 9, 0), sink);
  return 0;
}
