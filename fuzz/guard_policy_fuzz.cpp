// Fuzz target: the guard policy parser (TOML subset). Whatever parses must serialise and parse back
// to the same policy; everything else must be a vg::Error.
#include "common/error.hpp"
#include "guard/policy.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  try {
    vg::guard::Policy p = vg::guard::parse_policy(text, "fuzz.toml");
    std::string once = p.to_toml();
    vg::guard::Policy q = vg::guard::parse_policy(once, "again.toml");
    if (q.to_toml() != once)
      std::abort(); // round trip broken
  } catch (const vg::Error &) {
  }
  return 0;
}
