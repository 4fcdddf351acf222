// child_object.hpp — one object found inside a container (an archive entry, a mail part, a stream).
// Promise: `bytes` holds the decoded content, never more than the cap the driver asked for; when
// the content was longer, `cut` is set, and when it could not be read at all (encrypted, damaged)
// the reason says so and `bytes` is empty.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vg {

struct ChildObject {
  std::string name; // entry name, attachment filename, stream path ("" when the container has none)
  std::string
      method; // how it was obtained: "zip", "mime:base64", "ole2:stream", "pdf:FlateDecode"...
  std::vector<std::uint8_t> bytes;
  std::uint64_t packed_size = 0; // bytes of the container it came from (0: unknown)
  bool cut = false;              // content was longer than the cap; only the cap was read
  bool encrypted = false;        // content is encrypted and was not read
  bool ratio_exceeded = false;   // extraction stopped: content grew beyond the compression ratio
  std::string unreadable;        // why the content could not be read (empty: it was)
};

} // namespace vg
