#include "scan/containers/archive_entry_metadata.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cstring>
#include <memory>

namespace vg {

namespace {

std::uint64_t le(std::span<const std::uint8_t> d, std::size_t at, unsigned bytes) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(d[at + i]) << (8 * i);
  return v;
}

bool fits(std::span<const std::uint8_t> d, std::size_t at, std::size_t n) {
  return at <= d.size() && n <= d.size() - at;
}

constexpr std::uint32_t kLocal = 0x04034b50, kCentral = 0x02014b50, kEnd = 0x06054b50;

// ZIP64 extended information (extra field 0x0001): the 64-bit sizes that replace 0xFFFFFFFF ones,
// real size first, then compressed size.
void zip64_sizes(std::span<const std::uint8_t> extra, std::uint64_t &real, std::uint64_t &packed) {
  std::size_t at = 0;
  while (fits(extra, at, 4)) {
    auto id = le(extra, at, 2), len = le(extra, at + 2, 2);
    if (!fits(extra, at + 4, len))
      return;
    if (id == 1) {
      std::size_t p = at + 4;
      if (real == 0xFFFFFFFF && p + 8 <= at + 4 + len)
        real = le(extra, p, 8), p += 8;
      if (packed == 0xFFFFFFFF && p + 8 <= at + 4 + len)
        packed = le(extra, p, 8);
      return;
    }
    at += 4 + len;
  }
}

std::string zip_name(std::span<const std::uint8_t> d, std::size_t at, std::size_t n) {
  return std::string(reinterpret_cast<const char *>(d.data() + at), n);
}

// The end-of-central-directory record: searched backwards over the last 64 KiB + 22 bytes.
std::optional<std::size_t> find_end_record(std::span<const std::uint8_t> d) {
  if (d.size() < 22)
    return std::nullopt;
  std::size_t lowest = d.size() > 65535 + 22 ? d.size() - 65535 - 22 : 0;
  for (std::size_t at = d.size() - 22 + 1; at-- > lowest;)
    if (le(d, at, 4) == kEnd)
      return at;
  return std::nullopt;
}

// Where a zip header keeps what the metadata needs (central directory record, local header).
struct ZipHeaderLayout {
  std::size_t fixed, flags, packed, real, name_len, extra_len;
};
constexpr ZipHeaderLayout kCentralLayout{46, 8, 20, 24, 28, 30};
constexpr ZipHeaderLayout kLocalLayout{30, 6, 18, 22, 26, 28};

// The header at `at`; false when its name and extra field run past the buffer.
bool zip_entry(std::span<const std::uint8_t> d, std::size_t at, const ZipHeaderLayout &h,
               std::size_t trailing, ArchiveEntryMetadata &e) {
  const std::size_t nlen = le(d, at + h.name_len, 2), elen = le(d, at + h.extra_len, 2);
  if (!fits(d, at + h.fixed, nlen + elen + trailing))
    return false;
  std::uint64_t packed = le(d, at + h.packed, 4), real = le(d, at + h.real, 4);
  zip64_sizes(d.subspan(at + h.fixed + nlen, elen), real, packed);
  e.name = zip_name(d, at + h.fixed, nlen);
  e.size_in_container = packed;
  e.size_real = real;
  e.encrypted = (le(d, at + h.flags, 2) & 1) != 0;
  return true;
}

void list_zip(std::span<const std::uint8_t> d, std::uint64_t max, ArchiveMetadataListing &out) {
  auto end = find_end_record(d);
  if (end) {
    std::size_t at = le(d, *end + 16, 4);
    const std::uint64_t count = le(d, *end + 10, 2);
    for (std::uint64_t i = 0; i < count && out.entries.size() < max; ++i) {
      const std::string record = "zip central directory record " + std::to_string(i + 1);
      if (!fits(d, at, kCentralLayout.fixed) || le(d, at, 4) != kCentral) {
        out.damaged = record + " unreadable";
        return;
      }
      const std::size_t comment = le(d, at + 32, 2);
      ArchiveEntryMetadata e;
      if (!zip_entry(d, at, kCentralLayout, comment, e)) {
        out.damaged = record + " truncated";
        return;
      }
      e.position = i + 1;
      at += kCentralLayout.fixed + e.name->size() + le(d, at + 30, 2) + comment;
      out.entries.push_back(std::move(e));
    }
    return;
  }
  // No central directory: walk the local headers while their sizes are known.
  std::size_t at = 0;
  while (out.entries.size() < max && fits(d, at, kLocalLayout.fixed) && le(d, at, 4) == kLocal) {
    ArchiveEntryMetadata e;
    if (!zip_entry(d, at, kLocalLayout, 0, e)) {
      out.damaged = "zip local header truncated";
      return;
    }
    e.position = out.entries.size() + 1;
    const std::uint64_t packed = *e.size_in_container;
    const std::size_t data_at = at + kLocalLayout.fixed + e.name->size() + le(d, at + 28, 2);
    out.entries.push_back(std::move(e));
    if (le(d, at + 6, 2) & 8)
      return; // sizes follow the data: the next header cannot be found without inflating
    if (!fits(d, data_at, packed)) {
      out.damaged = "zip entry data truncated";
      return;
    }
    at = data_at + packed;
  }
}

struct ArchiveCloser {
  void operator()(archive *a) const { archive_read_free(a); }
};

bool is_cpio(ClamType t) {
  return t == ClamType::cpio_old || t == ClamType::cpio_odc || t == ClamType::cpio_newc ||
         t == ClamType::cpio_crc;
}

std::string cpio_name(std::string name) {
  if (name.size() > 512)
    name.resize(512);
  for (char &c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::strchr("%\\\t\n\r", c))
      c = '_';
  }
  return name;
}

void list_with_libarchive(ClamType type, std::span<const std::uint8_t> d, std::uint64_t max,
                          ArchiveMetadataListing &out) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  if (!a)
    throw std::bad_alloc();
  if (type == ClamType::sevenzip)
    archive_read_support_format_7zip(a.get());
  else if (is_cpio(type))
    archive_read_support_format_cpio(a.get());
  else
    archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), d.data(), d.size()) != ARCHIVE_OK) {
    const char *why = archive_error_string(a.get());
    out.damaged = why ? why : "unreadable archive";
    return;
  }
  std::uint64_t index = 0, regular = 0;
  bool encrypted_seen = false;
  archive_entry *e = nullptr;
  while (out.entries.size() < max) {
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF)
      return;
    if (rc == ARCHIVE_RETRY)
      continue;
    if (rc == ARCHIVE_FATAL) {
      const char *why = archive_error_string(a.get());
      out.damaged = why ? why : "unreadable archive header";
      return;
    }
    const char *path = archive_entry_pathname(e);
    std::string name = path ? path : "";
    const bool is_file = archive_entry_filetype(e) == AE_IFREG;
    const auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    ArchiveEntryMetadata m;
    ++index;
    if (type == ClamType::sevenzip) {
      encrypted_seen = encrypted_seen || archive_entry_is_encrypted(e);
      if (archive_entry_filetype(e) == AE_IFDIR)
        continue;
      m.name = std::move(name);
      m.size_in_container = 0;
      m.size_real = size;
      m.encrypted = encrypted_seen;
      m.position = index - 1;
    } else if (is_cpio(type)) {
      if (size == 0)
        continue;
      m.name = cpio_name(std::move(name));
      m.size_in_container = size;
      m.size_real = size;
      m.position = index;
    } else {
      if (!is_file)
        continue;
      m.name = std::move(name);
      m.size_in_container = size;
      m.size_real = size;
      m.position = ++regular;
    }
    out.entries.push_back(std::move(m));
  }
}

} // namespace

bool has_entry_metadata(ClamType type) {
  return type == ClamType::zip || type == ClamType::sevenzip || type == ClamType::posix_tar ||
         type == ClamType::old_tar || is_cpio(type);
}

ArchiveMetadataListing list_entry_metadata(ClamType type, std::span<const std::uint8_t> data,
                                           std::uint64_t max_entries) {
  ArchiveMetadataListing out;
  if (type == ClamType::zip)
    list_zip(data, max_entries, out);
  else if (has_entry_metadata(type))
    list_with_libarchive(type, data, max_entries, out);
  return out;
}

} // namespace vg
