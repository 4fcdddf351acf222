#include "scan/containers/tnef_extractor.hpp"

#include "engine/exe_info.hpp"

#include <string>

namespace vg {

namespace {

// Callers check the bounds first; ByteView keeps the read safe regardless.
std::uint32_t read_le32(std::span<const std::uint8_t> d, std::size_t p) {
  return ByteView(d).u32(p).value_or(0);
}

constexpr std::uint32_t kSignature = 0x223E9F78;
constexpr std::uint32_t kAttachTitle = 0x00018010;    // string: the attachment's file name
constexpr std::uint32_t kAttachData = 0x0006800F;     // bytes: the attachment itself
constexpr std::uint32_t kAttachRendData = 0x00069002; // starts a new attachment

} // namespace

void TnefExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  if (data.size() < 6 || read_le32(data, 0) != kSignature) {
    sink.damaged("not a TNEF stream (bad signature)");
    return;
  }
  std::size_t p = 6; // signature, legacy key
  std::string title;
  ChildObject pending;
  bool have_pending = false;
  auto flush = [&]() -> bool {
    if (!have_pending)
      return true;
    have_pending = false;
    if (pending.name.empty())
      pending.name = title;
    return sink.child(std::move(pending));
  };
  while (p < data.size() && sink.keep_going()) {
    if (data.size() - p < 9) {
      sink.damaged("TNEF attribute header truncated at offset " + std::to_string(p));
      break;
    }
    std::uint8_t level = data[p];
    std::uint32_t id = read_le32(data, p + 1);
    std::uint32_t len = read_le32(data, p + 5);
    p += 9;
    if (level != 1 && level != 2) {
      sink.damaged("TNEF attribute with unknown level " + std::to_string(level) + " at offset " +
                   std::to_string(p - 9));
      break;
    }
    bool whole = len <= data.size() - p;
    auto body = data.subspan(p, whole ? len : data.size() - p);
    if (id == kAttachRendData) {
      if (!flush())
        return;
      title.clear();
    } else if (id == kAttachTitle) {
      title.assign(body.begin(), body.end());
      while (!title.empty() && title.back() == '\0')
        title.pop_back();
      if (have_pending && pending.name.empty())
        pending.name = title;
    } else if (id == kAttachData) {
      if (!flush())
        return;
      pending = ChildObject{};
      pending.name = title;
      pending.method = "tnef";
      std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(body.size(), sink.size_cap()));
      pending.bytes.assign(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(take));
      pending.cut = take < body.size();
      have_pending = true;
    }
    if (!whole) {
      sink.damaged("TNEF attribute 0x" + std::to_string(id) + " is truncated");
      break;
    }
    p += len + 2; // data, checksum
  }
  flush();
}

} // namespace vg
