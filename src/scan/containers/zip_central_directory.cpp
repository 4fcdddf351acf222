#include "scan/containers/zip_central_directory.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <optional>

namespace vg {

namespace {

constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kDirectoryEntry = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kMaxComment = 0xFFFF;

std::uint64_t le(std::span<const std::uint8_t> d, std::size_t at, unsigned n) {
  std::uint64_t v = 0;
  for (unsigned i = n; i-- > 0;)
    v = v << 8 | d[at + i];
  return v;
}

// `n` bytes at `at`, or an Error naming `what`.
std::span<const std::uint8_t> need(std::span<const std::uint8_t> d, std::uint64_t at,
                                   std::uint64_t n, const std::string &what) {
  if (at > d.size() || n > d.size() - at)
    throw Error("zip " + what, "record at offset " + std::to_string(at) + " of " +
                                   std::to_string(n) + " bytes runs past the end of the file (" +
                                   std::to_string(d.size()) + " bytes)");
  return d.subspan(static_cast<std::size_t>(at), static_cast<std::size_t>(n));
}

std::optional<std::size_t> find_end(std::span<const std::uint8_t> d) {
  if (d.size() < kEndSize)
    return std::nullopt;
  const std::size_t lowest =
      d.size() - kEndSize > kMaxComment ? d.size() - kEndSize - kMaxComment : 0;
  for (std::size_t at = d.size() - kEndSize + 1; at-- > lowest;)
    if (le(d, at, 4) == kEndOfDirectory && at + kEndSize + le(d, at + 20, 2) <= d.size())
      return at;
  return std::nullopt;
}

struct Directory {
  std::uint64_t size = 0, offset = 0; // as stored
  std::uint64_t at = 0;               // where it really is
};

Directory locate(std::span<const std::uint8_t> d, std::size_t end) {
  Directory dir;
  dir.size = le(d, end + 12, 4);
  dir.offset = le(d, end + 16, 4);
  std::uint64_t record_end = end; // the directory ends where the next record starts
  if (end >= 20 && le(d, end - 20, 4) == kZip64Locator) {
    const std::uint64_t stored = le(d, end - 20 + 8, 8);
    // The zip64 record sits right before the locator; its stored offset may be shifted too.
    const std::uint64_t at = end - 20 >= 56 ? end - 20 - 56 : stored;
    auto rec = need(d, at, 56, "zip64 end of central directory");
    if (le(rec, 0, 4) != kZip64EndOfDirectory)
      throw Error("zip64 end of central directory",
                  "no record signature at offset " + std::to_string(at));
    dir.size = le(rec, 40, 8);
    dir.offset = le(rec, 48, 8);
    record_end = at;
  }
  if (dir.size > record_end)
    throw Error("zip central directory",
                "size " + std::to_string(dir.size) + " is larger than the file before it");
  dir.at = record_end - dir.size;
  return dir;
}

// Applies the zip64 extended-information extra field (0x0001) to the fields stored as 0xFFFFFFFF.
void apply_zip64(std::span<const std::uint8_t> extra, ZipEntry &e, bool size32, bool packed32,
                 bool offset32) {
  std::size_t at = 0;
  while (at + 4 <= extra.size()) {
    const auto id = le(extra, at, 2);
    const auto len = static_cast<std::size_t>(le(extra, at + 2, 2));
    if (len > extra.size() - at - 4)
      return; // a damaged extra field: the 32-bit values stay
    if (id == 1) {
      std::size_t p = at + 4, stop = at + 4 + len;
      auto take = [&](std::uint64_t &field, bool wanted) {
        if (wanted && p + 8 <= stop) {
          field = le(extra, p, 8);
          p += 8;
        }
      };
      take(e.size, size32);
      take(e.packed_size, packed32);
      take(e.local_header, offset32);
      return;
    }
    at += 4 + len;
  }
}

} // namespace

bool has_zip_directory(std::span<const std::uint8_t> zip) {
  return find_end(zip).has_value();
}

void for_each_zip_entry(std::span<const std::uint8_t> zip,
                        const std::function<bool(const ZipEntry &)> &visit) {
  auto end = find_end(zip);
  if (!end)
    throw Error("zip", "no end-of-central-directory record in the last 64 KiB");
  const Directory dir = locate(zip, *end);
  const std::uint64_t shift = dir.at - std::min(dir.at, dir.offset);
  std::uint64_t at = dir.at;
  const std::uint64_t stop = dir.at + dir.size;
  for (std::uint64_t i = 0; at < stop; ++i) {
    const std::string what = "central directory entry " + std::to_string(i);
    auto h = need(zip, at, 46, what);
    if (le(h, 0, 4) != kDirectoryEntry)
      throw Error("zip " + what, "no entry signature at offset " + std::to_string(at));
    ZipEntry e;
    e.flags = static_cast<std::uint16_t>(le(h, 8, 2));
    e.method = static_cast<std::uint16_t>(le(h, 10, 2));
    e.crc32 = static_cast<std::uint32_t>(le(h, 16, 4));
    e.packed_size = le(h, 20, 4);
    e.size = le(h, 24, 4);
    const auto name_len = le(h, 28, 2), extra_len = le(h, 30, 2), comment_len = le(h, 32, 2);
    e.local_header = le(h, 42, 4);
    const bool packed32 = e.packed_size == 0xFFFFFFFF, size32 = e.size == 0xFFFFFFFF,
               offset32 = e.local_header == 0xFFFFFFFF;
    auto name = need(zip, at + 46, name_len, what + " name");
    e.name.assign(name.begin(), name.end());
    apply_zip64(need(zip, at + 46 + name_len, extra_len, what + " extra field"), e, size32,
                packed32, offset32);
    e.local_header += shift;
    at += 46 + name_len + extra_len + comment_len;
    if (!visit(e))
      return;
  }
}

std::span<const std::uint8_t> zip_entry_data(std::span<const std::uint8_t> zip,
                                             const ZipEntry &entry) {
  const std::string what = "local header of " + entry.name;
  auto h = need(zip, entry.local_header, 30, what);
  if (le(h, 0, 4) != kLocalHeader)
    throw Error("zip " + what,
                "no local header signature at offset " + std::to_string(entry.local_header));
  const std::uint64_t data = entry.local_header + 30 + le(h, 26, 2) + le(h, 28, 2);
  return need(zip, data, entry.packed_size, "data of " + entry.name);
}

} // namespace vg
