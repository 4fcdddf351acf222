#include "scan/containers/ole_package.hpp"

#include "engine/exe_info.hpp"

#include <string>

namespace vg {

namespace {

struct Reader {
  std::span<const std::uint8_t> d;
  std::size_t p = 0;
  bool ok = true;
  std::uint32_t u32() { return take(ByteView(d).u32(p), 4); }
  std::uint16_t u16() { return take(ByteView(d).u16(p), 2); }
  template <class T> T take(std::optional<T> v, std::size_t width) {
    ok = ok && v.has_value();
    p += v ? width : 0;
    return v.value_or(0);
  }
  std::string cstr() {
    std::string s;
    while (p < d.size() && d[p] != 0)
      s.push_back(static_cast<char>(d[p++]));
    if (p >= d.size())
      ok = false;
    else
      ++p;
    return s;
  }
  std::span<const std::uint8_t> bytes(std::uint64_t n) {
    if (n > d.size() - p) {
      ok = false;
      return {};
    }
    auto s = d.subspan(p, static_cast<std::size_t>(n));
    p += static_cast<std::size_t>(n);
    return s;
  }
};

std::string base_name(const std::string &path) {
  auto slash = path.find_last_of("\\/");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::optional<ChildObject> parse_ole_package(std::span<const std::uint8_t> native) {
  Reader r{native};
  if (r.u16() != 2)
    return std::nullopt;
  std::string label = r.cstr();
  std::string path = r.cstr();
  r.u32(); // unknown (00 00 03 00)
  std::uint32_t tmp_len = r.u32();
  r.bytes(tmp_len);
  std::uint32_t size = r.u32();
  auto content = r.bytes(size);
  if (!r.ok)
    return std::nullopt;
  ChildObject c;
  c.name = path.empty() ? label : base_name(path);
  c.method = "ole:Package";
  c.bytes.assign(content.begin(), content.end());
  return c;
}

std::optional<ChildObject> parse_ole10_native(std::span<const std::uint8_t> stream) {
  Reader r{stream};
  std::uint32_t size = r.u32();
  if (!r.ok || size > stream.size() - 4)
    return std::nullopt;
  auto c = parse_ole_package(stream.subspan(4, size));
  if (c)
    c->method = "ole2:Ole10Native";
  return c;
}

std::optional<ChildObject> parse_ole1_object(std::span<const std::uint8_t> object) {
  Reader r{object};
  r.u32(); // OLE version
  std::uint32_t format = r.u32();
  if (!r.ok || format != 2) // 2: embedded object (1 is a link, which holds no data)
    return std::nullopt;
  auto lp_string = [&] {
    std::uint32_t n = r.u32();
    auto s = r.bytes(n);
    std::string v(s.begin(), s.end());
    while (!v.empty() && v.back() == '\0')
      v.pop_back();
    return v;
  };
  std::string cls = lp_string();
  lp_string(); // topic
  lp_string(); // item
  std::uint32_t size = r.u32();
  auto native = r.bytes(size);
  if (!r.ok)
    return std::nullopt;
  if (cls == "Package")
    if (auto pkg = parse_ole_package(native))
      return pkg;
  ChildObject c;
  c.name = cls;
  c.method = "ole1:" + cls;
  c.bytes.assign(native.begin(), native.end());
  return c;
}

} // namespace vg
