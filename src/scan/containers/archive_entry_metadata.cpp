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

// Types libclamav opens with its zip reader (unzip.c), OOXML documents included.
bool is_zip(ClamType t) {
  return t == ClamType::zip || t == ClamType::ooxml_word || t == ClamType::ooxml_ppt ||
         t == ClamType::ooxml_xl || t == ClamType::ooxml_hwp;
}

bool is_cpio(ClamType t) {
  return t == ClamType::cpio_old || t == ClamType::cpio_odc || t == ClamType::cpio_newc ||
         t == ClamType::cpio_crc;
}

// sscanf("%o") / sscanf("%x") over a fixed-width header field: leading blanks, then digits of
// `base` up to the first other character; false when there is no digit.
bool header_number(std::span<const std::uint8_t> field, unsigned base, std::uint32_t &v) {
  std::size_t i = 0;
  while (i < field.size() && (field[i] == ' ' || field[i] == '\t'))
    ++i;
  bool any = false;
  v = 0;
  for (; i < field.size(); ++i) {
    const int c = field[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : 99;
    if (digit >= static_cast<int>(base))
      break;
    v = v * base + static_cast<std::uint32_t>(digit);
    any = true;
  }
  return any;
}

// libclamav's cpio.c: every header counts (from 1); an entry of non-zero size is passed with its
// name as read (at most 512 bytes, up to a NUL, non-ASCII and % \ TAB LF CR made '_'); a header
// without a name keeps the previous one; the walk ends at the trailer or at a bad header.
void list_cpio(ClamType type, std::span<const std::uint8_t> d, std::uint64_t max,
               ArchiveMetadataListing &out) {
  const bool binary = type == ClamType::cpio_old;
  const bool newc = type == ClamType::cpio_newc || type == ClamType::cpio_crc;
  const std::size_t header = binary ? 26 : newc ? 110 : 76;
  std::string name;
  std::uint64_t pos = 0, file = 0;
  bool trailer = false;
  auto bad = [&](const char *why) {
    out.damaged = "cpio header " + std::to_string(file + 1) + ": " + why;
  };
  while (out.entries.size() < max && fits(d, pos, header)) {
    const auto h = d.subspan(pos, header);
    pos += header;
    bool swap = false;
    if (binary) {
      const auto magic = le(h, 0, 2);
      if (magic == 0 && trailer)
        return;
      if (magic != 070707 && magic != 0143561)
        return bad("bad magic");
      swap = magic == 0143561;
    } else {
      if (h[0] == 0 && trailer)
        return;
      const char *magic = type == ClamType::cpio_newc  ? "070701"
                          : type == ClamType::cpio_crc ? "070702"
                                                       : "070707";
      if (std::memcmp(h.data(), magic, 6) != 0)
        return bad("bad magic");
    }
    auto u16 = [&](std::size_t at) {
      const auto v = static_cast<std::uint32_t>(le(h, at, 2));
      return swap ? (v >> 8 | (v & 0xff) << 8) : v;
    };
    std::uint32_t stated_name = 0, size = 0;
    if (binary)
      stated_name = u16(20);
    else if (!header_number(h.subspan(newc ? 94 : 59, newc ? 8 : 6), newc ? 16 : 8, stated_name))
      return bad("bad name size");
    ++file;
    if (stated_name) {
      const std::size_t taken = std::min<std::size_t>(513, stated_name);
      if (!fits(d, pos, taken)) {
        --file;
        return bad("name runs past the end");
      }
      const auto *p = reinterpret_cast<const char *>(d.data() + pos);
      name.assign(p, strnlen(p, taken - 1));
      for (char &c : name)
        if (static_cast<unsigned char>(c) >= 0x80 || std::strchr("%\\\t\n\r", c))
          c = '_';
      if (name == "TRAILER!!!")
        trailer = true;
      pos += stated_name; // the part of a longer name that was not read is passed over
      if (binary)
        pos += stated_name % 2;
      else if (newc)
        pos += (4 - (110 + stated_name) % 4) % 4;
    }
    if (binary)
      size = u16(22) << 16 | u16(24);
    else if (!header_number(h.subspan(newc ? 54 : 65, newc ? 8 : 11), newc ? 16 : 8, size)) {
      --file;
      return bad("bad file size");
    }
    if (size == 0)
      continue;
    ArchiveEntryMetadata m;
    m.name = name;
    m.size_in_container = size;
    m.size_real = size;
    m.position = file;
    out.entries.push_back(std::move(m));
    pos += size;
    if (binary)
      pos += size % 2;
    else if (newc)
      pos += (4 - size % 4) % 4;
  }
}

void list_with_libarchive(ClamType type, std::span<const std::uint8_t> d, std::uint64_t max,
                          ArchiveMetadataListing &out) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  if (!a)
    throw std::bad_alloc();
  if (type == ClamType::sevenzip)
    archive_read_support_format_7zip(a.get());
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
  return is_zip(type) || type == ClamType::sevenzip || type == ClamType::posix_tar ||
         type == ClamType::old_tar || is_cpio(type);
}

bool metadata_before_content(ClamType type) {
  return is_zip(type);
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
  if (is_zip(type) && has_zip_directory(data))
    list_zip_directory(data, max_entries, out);
  else if (is_zip(type))
    list_zip_local_headers(data, max_entries, out);
  else if (is_cpio(type))
    list_cpio(type, data, max_entries, out);
  else if (has_entry_metadata(type))
    list_with_libarchive(type, data, max_entries, out);
  return out;
}

} // namespace vg
