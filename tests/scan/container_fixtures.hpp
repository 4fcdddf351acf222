// container_fixtures.hpp — builds containers in memory for the container tests: zip files written
// by hand (so that precompressed bombs cost nothing to build), archives through libarchive's
// writer, an engine from signature text, and a ChildSink that collects what an extractor yields.
#pragma once
#include "engine/engine.hpp"
#include "scan/containers/extractor.hpp"
#include "signatures/database_loader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cstdint>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>
#include <zlib.h>

namespace vg::test {

using Bytes = std::vector<std::uint8_t>;

// Closes the storages still open (innermost first), then the compound file written with libgsf's
// OLE2 writer into `mem`, and returns its bytes.
inline Bytes ole2_finish(std::initializer_list<GsfOutput *> open_storages, GsfOutfile *ole,
                         GsfOutput *mem) {
  for (GsfOutput *o : open_storages) {
    gsf_output_close(o);
    g_object_unref(o);
  }
  gsf_output_close(GSF_OUTPUT(ole));
  g_object_unref(ole);
  const guint8 *raw = gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem));
  Bytes file(raw, raw + gsf_output_size(mem));
  g_object_unref(mem);
  return file;
}

inline Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// The payload every test hides in its containers, and the body signature that finds it.
inline constexpr std::string_view kMarker = "VOXGUARD-CONTAINER-TEST-MARKER-7f3a9c2e";
inline std::string marker_ndb() {
  static const char *hex = "0123456789abcdef";
  std::string h;
  for (unsigned char c : kMarker) {
    h += hex[c >> 4];
    h += hex[c & 15];
  }
  return "Test.Container.Marker:0:*:" + h + "\n";
}
inline std::shared_ptr<const Engine> marker_engine() {
  SignatureSet set;
  load_database_text(set, "marker.ndb", marker_ndb());
  return Engine::build(std::move(set));
}

// Base64 in 76-character lines, as mail carries attachments.
inline std::string base64(const Bytes &b) {
  static const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  std::size_t line = 0;
  for (std::size_t i = 0; i < b.size(); i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(b[i]) << 16 |
                      (i + 1 < b.size() ? static_cast<std::uint32_t>(b[i + 1]) << 8 : 0u) |
                      (i + 2 < b.size() ? b[i + 2] : 0u);
    s += t[v >> 18 & 63];
    s += t[v >> 12 & 63];
    s += i + 1 < b.size() ? t[v >> 6 & 63] : '=';
    s += i + 2 < b.size() ? t[v & 63] : '=';
    if ((line += 4) == 76) {
      s += "\r\n";
      line = 0;
    }
  }
  return s;
}

// Raw deflate of `data` (as zip stores it).
inline Bytes deflate_raw(const Bytes &data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&z, data.size()));
  z.next_in = const_cast<Bytef *>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  out.shrink_to_fit(); // the bound buffer was zero-filled: give its pages back
  deflateEnd(&z);
  return out;
}

// A zip written entry by entry; an entry may be given precompressed (deflate) with its CRC and
// size, so a bomb of many huge entries is built from one small compressed block.
class ZipBuilder {
public:
  void add(const std::string &name, const Bytes &data, bool compress = true) {
    std::uint32_t crc =
        static_cast<std::uint32_t>(crc32(0, data.data(), static_cast<uInt>(data.size())));
    if (compress)
      add_raw(name, deflate_raw(data), crc, data.size(), 8);
    else
      add_raw(name, data, crc, data.size(), 0);
  }
  void add_raw(const std::string &name, const Bytes &stored, std::uint32_t crc, std::uint64_t size,
               std::uint16_t method, std::uint16_t flags = 0) {
    std::uint32_t off = static_cast<std::uint32_t>(out_.size());
    put32(out_, 0x04034b50);
    put16(out_, 20), put16(out_, flags), put16(out_, method), put16(out_, 0), put16(out_, 0);
    put32(out_, crc), put32(out_, static_cast<std::uint32_t>(stored.size()));
    put32(out_, static_cast<std::uint32_t>(size));
    put16(out_, static_cast<std::uint16_t>(name.size())), put16(out_, 0);
    out_.insert(out_.end(), name.begin(), name.end());
    out_.insert(out_.end(), stored.begin(), stored.end());
    put32(cd_, 0x02014b50);
    put16(cd_, 20), put16(cd_, 20), put16(cd_, flags), put16(cd_, method), put16(cd_, 0),
        put16(cd_, 0);
    put32(cd_, crc), put32(cd_, static_cast<std::uint32_t>(stored.size()));
    put32(cd_, static_cast<std::uint32_t>(size));
    put16(cd_, static_cast<std::uint16_t>(name.size())), put16(cd_, 0), put16(cd_, 0),
        put16(cd_, 0), put16(cd_, 0);
    put32(cd_, 0), put32(cd_, off);
    cd_.insert(cd_.end(), name.begin(), name.end());
    ++count_;
  }
  Bytes finish() {
    Bytes z = out_;
    std::uint32_t cd_off = static_cast<std::uint32_t>(z.size());
    z.insert(z.end(), cd_.begin(), cd_.end());
    put32(z, 0x06054b50);
    std::uint16_t n = count_ > 0xFFFF ? 0xFFFF : static_cast<std::uint16_t>(count_);
    put16(z, 0), put16(z, 0), put16(z, n), put16(z, n);
    put32(z, static_cast<std::uint32_t>(cd_.size())), put32(z, cd_off), put16(z, 0);
    return z;
  }

private:
  static void put16(Bytes &b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v)), b.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  static void put32(Bytes &b, std::uint32_t v) {
    put16(b, static_cast<std::uint16_t>(v)), put16(b, static_cast<std::uint16_t>(v >> 16));
  }
  Bytes out_, cd_;
  std::size_t count_ = 0;
};

// An archive written by libarchive: `format` and `filter` are archive_write_set_format_* and
// archive_write_add_filter_* functions (filter may be null).
using ArchiveSetter = int (*)(struct archive *);
inline Bytes libarchive_write(ArchiveSetter format, ArchiveSetter filter,
                              const std::vector<std::pair<std::string, Bytes>> &files) {
  Bytes out;
  struct archive *a = archive_write_new();
  format(a);
  if (filter)
    filter(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive *, void *cd, const void *buf, size_t n) -> la_ssize_t {
        auto *o = static_cast<Bytes *>(cd);
        o->insert(o->end(), static_cast<const std::uint8_t *>(buf),
                  static_cast<const std::uint8_t *>(buf) + n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto &[name, data] : files) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// Collects what an extractor yields (with generous limits unless set).
class CollectingSink final : public ChildSink {
public:
  std::uint64_t cap = 1 << 26;
  double ratio = 0;
  unsigned depth = 17;
  std::vector<ChildObject> children;
  std::vector<std::string> damage, limits;

  std::uint64_t size_cap() const override { return cap; }
  double max_ratio() const override { return ratio; }
  std::uint64_t ratio_floor() const override { return 1 << 20; }
  bool keep_going() const override { return true; }
  unsigned depth_left() const override { return depth; }
  void limit_reached(const char *limit, const std::string &) override { limits.push_back(limit); }
  bool child(ChildObject &&c) override {
    children.push_back(std::move(c));
    return true;
  }
  void damaged(const std::string &reason) override { damage.push_back(reason); }

  bool has_child_with(std::string_view needle) const {
    for (const auto &c : children)
      if (std::string_view(reinterpret_cast<const char *>(c.bytes.data()), c.bytes.size())
              .find(needle) != std::string_view::npos)
        return true;
    return false;
  }
};

} // namespace vg::test
