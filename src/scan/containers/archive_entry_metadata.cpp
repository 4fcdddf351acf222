#include "scan/containers/archive_entry_metadata.hpp"

#include "common/error.hpp"
#include "scan/containers/zip_central_directory.hpp"

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

constexpr std::uint32_t kLocal = 0x04034b50;
constexpr std::size_t kLocalSize = 30;

// The central directory (zip_central_directory.hpp), in directory order, positions from 1.
void list_zip_directory(std::span<const std::uint8_t> d, std::uint64_t max,
                        ArchiveMetadataListing &out) {
  try {
    for_each_zip_entry(d, [&](const ZipEntry &z) {
      if (out.entries.size() >= max)
        return false;
      ArchiveEntryMetadata e;
      e.name = z.name;
      e.size_in_container = z.packed_size;
      e.size_real = z.size;
      e.encrypted = z.encrypted();
      e.position = out.entries.size() + 1;
      out.entries.push_back(std::move(e));
      return true;
    });
  } catch (const Error &e) {
    out.damaged = e.input() + ": " + e.reason();
  }
}

// No central directory (a truncated zip): the local headers, while their sizes are known.
void list_zip_local_headers(std::span<const std::uint8_t> d, std::uint64_t max,
                            ArchiveMetadataListing &out) {
  std::size_t at = 0;
  while (out.entries.size() < max && fits(d, at, kLocalSize) && le(d, at, 4) == kLocal) {
    const std::size_t nlen = le(d, at + 26, 2), elen = le(d, at + 28, 2);
    if (!fits(d, at + kLocalSize, nlen + elen)) {
      out.damaged = "zip local header truncated";
      return;
    }
    const auto flags = le(d, at + 6, 2);
    const std::uint64_t packed = le(d, at + 18, 4);
    ArchiveEntryMetadata e;
    e.name = std::string(reinterpret_cast<const char *>(d.data() + at + kLocalSize), nlen);
    e.size_in_container = packed;
    e.size_real = le(d, at + 22, 4);
    e.encrypted = (flags & 1) != 0;
    e.position = out.entries.size() + 1;
    out.entries.push_back(std::move(e));
    if (flags & 8)
      return; // sizes follow the data: the next header cannot be found without inflating
    const std::size_t data_at = at + kLocalSize + nlen + elen;
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

std::optional<ArchiveEntryMetadata> child_entry_metadata(ClamType container, const ChildObject &c) {
  ArchiveEntryMetadata m;
  m.name = c.name;
  m.size_real = c.bytes.size();
  if (container == ClamType::mail && c.method.starts_with("mime:") &&
      c.method != "mime:message/rfc822" && c.method.find("uuencode") == std::string::npos &&
      !c.name.empty()) {
    m.size_in_container = c.bytes.size();
    return m;
  }
  if (container == ClamType::mscab) {
    m.size_in_container = 0;
    return m;
  }
  return std::nullopt;
}

ArchiveMetadataListing list_entry_metadata(ClamType type, std::span<const std::uint8_t> data,
                                           std::uint64_t max_entries) {
  ArchiveMetadataListing out;
  if (type == ClamType::zip && has_zip_directory(data))
    list_zip_directory(data, max_entries, out);
  else if (type == ClamType::zip)
    list_zip_local_headers(data, max_entries, out);
  else if (has_entry_metadata(type))
    list_with_libarchive(type, data, max_entries, out);
  return out;
}

} // namespace vg
