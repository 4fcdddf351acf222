#include "scan/containers/powerpoint_objects.hpp"

#include "engine/exe_info.hpp"

#include <zlib.h>

namespace vg {

namespace {

// Callers check the bounds first; ByteView keeps the read safe regardless.
std::uint32_t read_le32(std::span<const std::uint8_t> d, std::size_t p) {
  return ByteView(d).u32(p).value_or(0);
}

constexpr std::uint16_t kExOleObjStg = 0x1011;

ChildObject ole_object(std::span<const std::uint8_t> body, bool compressed, std::uint64_t cap) {
  ChildObject c;
  c.name = "ExOleObjStg";
  c.packed_size = body.size();
  if (!compressed) {
    c.method = "ppt:ExOleObjStg";
    c.bytes.assign(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(
                                                    std::min<std::uint64_t>(body.size(), cap)));
    c.cut = body.size() > cap;
    return c;
  }
  c.method = "ppt:ExOleObjStg:zlib";
  if (body.size() < 4) {
    c.unreadable = "compressed ExOleObjStg record is too short";
    return c;
  }
  std::uint64_t declared = read_le32(body, 0);
  z_stream z{};
  if (inflateInit(&z) != Z_OK)
    throw std::bad_alloc();
  z.next_in = const_cast<Bytef *>(body.data() + 4);
  z.avail_in = static_cast<uInt>(body.size() - 4);
  c.bytes.resize(static_cast<std::size_t>(std::min(declared, cap)));
  z.next_out = c.bytes.data();
  z.avail_out = static_cast<uInt>(c.bytes.size());
  int rc = c.bytes.empty() ? Z_STREAM_END : inflate(&z, Z_FINISH);
  c.bytes.resize(z.total_out);
  if (rc != Z_STREAM_END) {
    if (declared > cap && z.total_out == cap)
      c.cut = true;
    else
      c.unreadable = c.bytes.empty() ? "ExOleObjStg data does not inflate" : "";
  }
  inflateEnd(&z);
  return c;
}

void walk(std::span<const std::uint8_t> d, std::uint64_t cap, std::size_t max_objects, int depth,
          std::vector<ChildObject> &out) {
  std::size_t p = 0;
  while (p + 8 <= d.size() && out.size() < max_objects) {
    auto ver_inst = static_cast<std::uint16_t>(d[p] | d[p + 1] << 8);
    auto type = static_cast<std::uint16_t>(d[p + 2] | d[p + 3] << 8);
    std::uint32_t len = read_le32(d, p + 4);
    p += 8;
    if (len > d.size() - p)
      return; // truncated record: stop here
    auto body = d.subspan(p, len);
    if ((ver_inst & 0xF) == 0xF) {
      if (depth < 64)
        walk(body, cap, max_objects, depth + 1, out);
    } else if (type == kExOleObjStg) {
      out.push_back(ole_object(body, (ver_inst >> 4) == 1, cap));
    }
    p += len;
  }
}

} // namespace

std::vector<ChildObject> powerpoint_ole_objects(std::span<const std::uint8_t> stream,
                                                std::uint64_t cap, std::size_t max_objects) {
  std::vector<ChildObject> out;
  walk(stream, cap, max_objects, 0, out);
  return out;
}

} // namespace vg
