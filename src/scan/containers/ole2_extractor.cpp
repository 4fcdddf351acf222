#include "scan/containers/ole2_extractor.hpp"

#include "scan/containers/ole_package.hpp"
#include "scan/containers/powerpoint_objects.hpp"

#include <cstring>
#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile-msvba.h>
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
    auto size = static_cast<std::uint64_t>(std::max<gsf_off_t>(gsf_input_size(in), 0));
    std::uint64_t take = std::min(size, cap);
    c.cut = size > cap;
    c.bytes.reserve(static_cast<std::size_t>(take));
    while (c.bytes.size() < take) {
      std::size_t chunk =
          static_cast<std::size_t>(std::min<std::uint64_t>(take - c.bytes.size(), 65536));
      const guint8 *b = gsf_input_read(in, chunk, nullptr);
      if (!b) {
        c.unreadable = "OLE2 stream " + path + " is truncated";
        sink_.damaged(c.unreadable);
        c.unreadable.clear();
        break;
      }
      c.bytes.insert(c.bytes.end(), b, b + chunk);
    }
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

  bool vba(GsfInfile *dir, const std::string &path) {
    GError *err = nullptr;
    GPtr<GsfInfile> v(gsf_infile_msvba_new(dir, &err));
    if (err) {
      sink_.damaged("VBA project " + path + ": " + err->message);
      g_error_free(err);
      return true;
    }
    if (!v)
      return true;
    GHashTable *mods = gsf_infile_msvba_get_modules(reinterpret_cast<GsfInfileMSVBA *>(v.get()));
    if (!mods)
      return true;
    GHashTableIter it;
    gpointer key, value;
    std::vector<ChildObject> out;
    g_hash_table_iter_init(&it, mods);
    while (g_hash_table_iter_next(&it, &key, &value)) {
      ChildObject c;
      c.name = std::string("vba:") + static_cast<const char *>(key);
      c.method = "ole2:vba";
      const auto *src = static_cast<const std::uint8_t *>(value);
      std::size_t len = src ? std::strlen(reinterpret_cast<const char *>(src)) : 0;
      len = static_cast<std::size_t>(std::min<std::uint64_t>(len, sink_.size_cap()));
      c.bytes.assign(src, src + len);
      out.push_back(std::move(c));
    }
    for (auto &c : out)
      if (!sink_.child(std::move(c)))
        return false;
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
