#include "scan/containers/encoded_text_extractor.hpp"

#include "scan/containers/text_encodings.hpp"

namespace vg {

void EncodedTextExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  std::vector<ChildObject> found = find_binhex(data, sink.size_cap());
  for (auto &c : find_uuencoded(data, sink.size_cap(), 1000))
    found.push_back(std::move(c));
  for (auto &c : found) {
    if (!c.unreadable.empty()) {
      sink.damaged(c.method + " block " + c.name + ": " + c.unreadable);
      if (c.bytes.empty())
        continue;
      c.unreadable.clear(); // scan what decoded before the damage
    }
    if (!sink.child(std::move(c)))
      return;
  }
}

} // namespace vg
