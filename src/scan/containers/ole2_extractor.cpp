#include "scan/containers/ole2_extractor.hpp"

#include "scan/containers/ole_package.hpp"
#include "scan/containers/powerpoint_objects.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-utils.h>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vg {

namespace {

void init_gsf() {
  static std::once_flag once;
  std::call_once(once, [] { gsf_init(); });
}

struct GUnref {
  void operator()(void *p) const {
    if (p)
      g_object_unref(p);
  }
};
template <class T> using GPtr = std::unique_ptr<T, GUnref>;

using Bytes = std::vector<std::uint8_t>;

// Reads up to `cap` bytes of `in` into `out`; `cut` tells whether the stream was longer. False when
// the stream ends before its declared size.
bool read_stream(GsfInput *in, std::uint64_t cap, Bytes &out, bool &cut) {
  auto size = static_cast<std::uint64_t>(std::max<gsf_off_t>(gsf_input_size(in), 0));
  std::uint64_t take = std::min(size, cap);
  cut = size > cap;
  out.reserve(static_cast<std::size_t>(take));
  while (out.size() < take) {
    std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(take - out.size(), 65536));
    const guint8 *b = gsf_input_read(in, chunk, nullptr);
    if (!b)
      return false;
    out.insert(out.end(), b, b + chunk);
  }
  return true;
}

// MS-OVBA 2.4.1.3 decompression of the CompressedContainer in `in` into `out` (at most `cap`
// bytes: then `cut` is set). Returns the reason it is malformed, or "" when it is not.
std::string ovba_decompress(std::span<const std::uint8_t> in, std::uint64_t cap, Bytes &out,
                            bool &cut) {
  if (in.empty() || in[0] != 0x01)
    return "no CompressedContainer signature byte 0x01";
  std::size_t pos = 1;
  while (pos < in.size()) {
    if (in.size() - pos < 2)
      return "chunk header at byte " + std::to_string(pos) + " is truncated";
    const unsigned header = in[pos] | static_cast<unsigned>(in[pos + 1]) << 8;
    if ((header >> 12 & 7) != 3)
      return "chunk header at byte " + std::to_string(pos) + " has no signature 0b011";
    const std::size_t end = pos + (header & 0x0fff) + 3;
    if (end > in.size())
      return "chunk at byte " + std::to_string(pos) + " runs past the end of the stream";
    const std::size_t start = out.size();
    pos += 2;
    if (!(header & 0x8000)) { // raw chunk: exactly 4096 bytes
      if (end - pos != 4096)
        return "raw chunk at byte " + std::to_string(pos - 2) + " is not 4096 bytes";
      out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(pos),
                 in.begin() + static_cast<std::ptrdiff_t>(end));
    }
    while (pos < end && (header & 0x8000)) {
      const std::uint8_t flags = in[pos++];
      for (int bit = 0; bit < 8 && pos < end; ++bit) {
        if (!(flags >> bit & 1)) {
          out.push_back(in[pos++]);
          continue;
        }
        if (end - pos < 2)
          return "copy token at byte " + std::to_string(pos) + " is truncated";
        const unsigned token = in[pos] | static_cast<unsigned>(in[pos + 1]) << 8;
        pos += 2;
        const std::size_t done = out.size() - start;
        if (done == 0)
          return "copy token at byte " + std::to_string(pos - 2) + " opens its chunk";
        const int bits = std::max(static_cast<int>(std::bit_width(done - 1)), 4);
        const std::size_t length = (token & (0xffffu >> bits)) + 3;
        const std::size_t offset = (token >> (16 - bits)) + 1;
        if (offset > done)
          return "copy token at byte " + std::to_string(pos - 2) + " reaches before its chunk";
        for (std::size_t i = 0; i < length; ++i)
          out.push_back(out[out.size() - offset]);
      }
      if (out.size() - start > 4096)
        return "chunk ending at byte " + std::to_string(end) + " decompresses beyond 4096 bytes";
    }
    pos = end;
    if (out.size() >= cap) {
      cut = out.size() > cap || pos < in.size();
      out.resize(static_cast<std::size_t>(cap));
      return "";
    }
  }
  return "";
}

struct VbaModule {
  std::string name, stream, stream_unicode; // MODULESTREAMNAME in the code page, and in UTF-8
  std::uint32_t offset = 0;
};

// MS-OVBA 2.3.4.2: the records of a decompressed dir stream, read for each module's name, stream
// and MODULEOFFSET. Returns the reason it is malformed, or "" when it is not.
std::string parse_vba_dir(std::span<const std::uint8_t> d, std::vector<VbaModule> &modules) {
  VbaModule cur;
  std::size_t pos = 0;
  while (true) {
    if (d.size() - pos < 6)
      return "record at byte " + std::to_string(pos) + " is truncated (no terminator 0x0010)";
    const unsigned id = d[pos] | static_cast<unsigned>(d[pos + 1]) << 8;
    std::uint64_t size = d[pos + 2] | static_cast<std::uint32_t>(d[pos + 3]) << 8 |
                         static_cast<std::uint32_t>(d[pos + 4]) << 16 |
                         static_cast<std::uint32_t>(d[pos + 5]) << 24;
    if (id == 0x0009) // PROJECTVERSION: a Reserved 4 stands for the size of 6 bytes of data
      size = 6;
    if (d.size() - pos - 6 < size) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%04x", id);
      return "record 0x" + std::string(hex) + " at byte " + std::to_string(pos) +
             " runs past the end";
    }
    const auto *data = d.data() + pos + 6;
    const std::string text(reinterpret_cast<const char *>(data), static_cast<std::size_t>(size));
    pos += 6 + static_cast<std::size_t>(size);
    switch (id) {
    case 0x0010: // dir terminator
      return "";
    case 0x0019: // MODULENAME
      cur.name = text;
      break;
    case 0x001A: // MODULESTREAMNAME
      cur.stream = text;
      break;
    case 0x0032: { // MODULESTREAMNAMEUNICODE (UTF-16LE)
      std::vector<gunichar2> units(static_cast<std::size_t>(size / 2));
      for (std::size_t k = 0; k < units.size(); ++k)
        units[k] = static_cast<gunichar2>(data[2 * k] | data[2 * k + 1] << 8);
      if (gchar *u = g_utf16_to_utf8(units.data(), static_cast<glong>(units.size()), nullptr,
                                     nullptr, nullptr)) {
        cur.stream_unicode = u;
        g_free(u);
      }
      break;
    }
    case 0x0031: // MODULEOFFSET
      if (size != 4)
        return "MODULEOFFSET of " + cur.name + " is " + std::to_string(size) + " bytes, not 4";
      cur.offset = data[0] | static_cast<std::uint32_t>(data[1]) << 8 |
                   static_cast<std::uint32_t>(data[2]) << 16 |
                   static_cast<std::uint32_t>(data[3]) << 24;
      break;
    case 0x002B: // module terminator
      if (cur.stream.empty())
        cur.stream = cur.name;
      if (cur.name.empty())
        cur.name = cur.stream;
      if (!cur.stream.empty())
        modules.push_back(cur);
      cur = VbaModule{};
      break;
    default:
      break;
    }
  }
}

class Walker {
public:
  explicit Walker(ChildSink &sink) : sink_(sink) {}

  bool walk(GsfInfile *dir, const std::string &prefix, unsigned depth) {
    int n = gsf_infile_num_children(dir);
    for (int i = 0; i < n && sink_.keep_going(); ++i) {
      GPtr<GsfInput> child(gsf_infile_child_by_index(dir, i));
      if (!child)
        continue;
      const char *nm = gsf_input_name(child.get());
      std::string name = nm ? nm : "";
      std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (GSF_IS_INFILE(child.get()) && gsf_infile_num_children(GSF_INFILE(child.get())) >= 0) {
        if (depth + 1 >= sink_.depth_left()) {
          sink_.limit_reached("MaxRecursion", "OLE2 storage " + path + " nested too deep");
          continue;
        }
        if (name == "VBA" && !vba(GSF_INFILE(child.get()), path))
          return false;
        if (!walk(GSF_INFILE(child.get()), path, depth + 1))
          return false;
        continue;
      }
      if (!stream(child.get(), name, path))
        return false;
    }
    return true;
  }

private:
  bool stream(GsfInput *in, const std::string &name, const std::string &path) {
    ChildObject c;
    c.name = path;
    c.method = "ole2:stream";
    const std::uint64_t cap = sink_.size_cap();
    if (!read_stream(in, cap, c.bytes, c.cut))
      sink_.damaged("OLE2 stream " + path + " is truncated");
    std::vector<ChildObject> extra;
    if (name == "\001Ole10Native") {
      if (auto pkg = parse_ole10_native(c.bytes))
        extra.push_back(std::move(*pkg));
    } else if (name == "PowerPoint Document") {
      extra = powerpoint_ole_objects(c.bytes, cap, 10000);
    }
    if (!sink_.child(std::move(c)))
      return false;
    for (auto &e : extra) {
      if (e.bytes.size() > cap) {
        e.bytes.resize(static_cast<std::size_t>(cap));
        e.cut = true;
      }
      if (!sink_.child(std::move(e)))
        return false;
    }
    return true;
  }

  // The VBA project's modules, read by hand: libgsf's gsf_infile_msvba (1.14.50) decompresses a
  // module from the start of its stream whatever its MODULEOFFSET says, so the source of a real
  // module (p-code first) is never found.
  bool vba(GsfInfile *dir, const std::string &path) {
    const std::string what = "VBA project " + path + ": ";
    GPtr<GsfInput> dir_in(gsf_infile_child_by_name(dir, "dir"));
    if (!dir_in) {
      sink_.damaged(what + "no dir stream");
      return true;
    }
    Bytes packed, unpacked;
    bool cut = false;
    if (!read_stream(dir_in.get(), sink_.size_cap(), packed, cut)) {
      sink_.damaged(what + "dir stream is truncated");
      return true;
    }
    std::string why = ovba_decompress(packed, sink_.size_cap(), unpacked, cut);
    std::vector<VbaModule> modules;
    if (why.empty())
      why = parse_vba_dir(unpacked, modules);
    if (!why.empty()) {
      sink_.damaged(what + "dir stream: " + why);
      return true;
    }
    for (const auto &m : modules) {
      if (!sink_.keep_going())
        return false;
      GPtr<GsfInput> mod(gsf_infile_child_by_name(dir, m.stream.c_str()));
      if (!mod && !m.stream_unicode.empty()) // a name outside ASCII is found by its UTF-16 form
        mod.reset(gsf_infile_child_by_name(dir, m.stream_unicode.c_str()));
      Bytes raw;
      bool raw_cut = false;
      if (!mod || !read_stream(mod.get(), sink_.size_cap(), raw, raw_cut)) {
        sink_.damaged(what + "module stream " + m.stream + (mod ? " is truncated" : " is missing"));
        continue;
      }
      if (m.offset > raw.size()) {
        sink_.damaged(what + "MODULEOFFSET " + std::to_string(m.offset) + " of " + m.name +
                      " lies past its stream's " + std::to_string(raw.size()) + " bytes");
        continue;
      }
      ChildObject c;
      c.name = "vba:" + m.name;
      c.method = "ole2:vba";
      c.packed_size = raw.size() - m.offset;
      why = ovba_decompress(std::span(raw).subspan(m.offset), sink_.size_cap(), c.bytes, c.cut);
      if (!why.empty())
        sink_.damaged(what + "source of " + m.name + ": " + why);
      if (!sink_.child(std::move(c)))
        return false;
    }
    return true;
  }

  ChildSink &sink_;
};

} // namespace

void Ole2Extractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  init_gsf();
  GPtr<GsfInput> in(gsf_input_memory_new(data.data(), static_cast<gsf_off_t>(data.size()), FALSE));
  GError *err = nullptr;
  GPtr<GsfInfile> ole(gsf_infile_msole_new(in.get(), &err));
  if (!ole) {
    sink.damaged(std::string("OLE2 file unreadable: ") + (err ? err->message : "bad header"));
    if (err)
      g_error_free(err);
    return;
  }
  Walker(sink).walk(ole.get(), "", 0);
}

} // namespace vg
