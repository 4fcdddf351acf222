#include "scan/containers/archive_extractor.hpp"

#include "scan/containers/zip_hand_decoder.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cstring>
#include <memory>
#include <optional>

namespace vg {

namespace {

struct ArchiveCloser {
  void operator()(archive *a) const { archive_read_free(a); }
};

std::string error_of(archive *a) {
  const char *s = archive_error_string(a);
  return s ? s : "unreadable archive";
}

// Whether the current entry's data is decompressed (so the ratio limit applies): every compressed
// stream, and the archive formats that compress entries, except zip entries stored as they are.
// Formats that store entries (tar, cpio, ar, iso9660) hand out their input without copying and
// count it as read only later, which would look like an endless ratio.
bool entry_is_compressed(archive *a, bool stream) {
  if (stream)
    return true;
  switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
  case ARCHIVE_FORMAT_ZIP: {
    const char *name = archive_format_name(a);
    return !(name && std::strstr(name, "uncompressed"));
  }
  case ARCHIVE_FORMAT_7ZIP:
  case ARCHIVE_FORMAT_RAR:
  case ARCHIVE_FORMAT_RAR_V5:
  case ARCHIVE_FORMAT_CAB:
  case ARCHIVE_FORMAT_LHA:
  case ARCHIVE_FORMAT_XAR:
    return true;
  default:
    return false;
  }
}

// Reads the current entry's data into c.bytes, up to the sink's cap (and ratio, when compressed).
void read_entry(archive *a, ChildObject &c, ChildSink &sink, bool compressed) {
  const std::uint64_t cap = sink.size_cap();
  const auto in_before = static_cast<std::uint64_t>(archive_filter_bytes(a, 0));
  std::uint8_t buf[64 * 1024];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n == 0)
      break;
    if (n < 0) {
      c.unreadable = error_of(a);
      break;
    }
    auto take = static_cast<std::uint64_t>(n);
    if (c.bytes.size() + take > cap) {
      c.bytes.insert(c.bytes.end(), buf, buf + (cap - c.bytes.size()));
      c.cut = true;
      break;
    }
    c.bytes.insert(c.bytes.end(), buf, buf + take);
    const auto in_now = static_cast<std::uint64_t>(archive_filter_bytes(a, 0)) - in_before;
    if (compressed && sink.ratio_broken(c.bytes.size(), in_now)) {
      c.ratio_exceeded = true;
      break;
    }
    if (!sink.keep_going())
      break;
  }
  c.packed_size = static_cast<std::uint64_t>(archive_filter_bytes(a, 0)) - in_before;
}

} // namespace

void ArchiveExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  if (!a)
    throw std::bad_alloc();
  archive_read_support_filter_all(a.get());
  if (mode_ == Mode::archive) {
    archive_read_support_format_all(a.get());
  } else {
    archive_read_support_format_raw(a.get());
  }
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    sink.damaged(error_of(a.get()));
    return;
  }
  if (mode_ == Mode::stream && archive_filter_code(a.get(), 0) == ARCHIVE_FILTER_NONE)
    return; // not compressed after all: nothing inside
  archive_entry *e = nullptr;
  // Zip entries libarchive has no decoder for (Deflate64, Implode) are decoded by hand: found in
  // the central directory once the format is known to be zip.
  std::optional<ZipHandDecoder> hand;
  bool stopped = false;
  while (sink.keep_going()) {
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc == ARCHIVE_FATAL) {
      sink.damaged(error_of(a.get()));
      break;
    }
    if (rc == ARCHIVE_RETRY)
      continue;
    // ARCHIVE_WARN: the header is usable (e.g. an unknown extension); go on.
    if (!hand && mode_ == Mode::archive &&
        (archive_format(a.get()) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP)
      hand.emplace(data);
    if (archive_entry_filetype(e) != AE_IFREG)
      continue;
    ChildObject c;
    const char *name = archive_entry_pathname_utf8(e);
    if (!name)
      name = archive_entry_pathname(e);
    c.name = name ? name : "";
    const char *fmt = archive_format_name(a.get());
    c.method = fmt ? fmt : "archive";
    if (mode_ == Mode::stream) {
      const char *filter = archive_filter_name(a.get(), 0);
      c.method = filter ? filter : "compressed";
      if (c.name == "data")
        c.name.clear(); // libarchive's placeholder for a raw stream
    }
    if (archive_entry_is_encrypted(e) && archive_entry_is_data_encrypted(e)) {
      c.encrypted = true;
      c.unreadable = "encrypted entry";
    } else {
      read_entry(a.get(), c, sink, entry_is_compressed(a.get(), mode_ == Mode::stream));
      if (!c.unreadable.empty() && archive_entry_is_encrypted(e))
        c.encrypted = true;
      if (!c.unreadable.empty() && !c.encrypted && hand) {
        const char *raw = archive_entry_pathname(e);
        if (!hand->take(c.name, raw ? raw : "", c, sink) && !hand->directory_error().empty() &&
            c.unreadable.find("compression method") != std::string::npos)
          c.unreadable += " (no fallback: " + hand->directory_error() + ")";
      }
    }
    if (!sink.child(std::move(c))) {
      stopped = true;
      break;
    }
  }
  // Deflate64/Implode entries libarchive did not reach or named differently.
  if (hand && !stopped)
    hand->rest(sink);
}

} // namespace vg
