// Fuzzes the database loader with arbitrary text under every supported extension.
#include "common/error.hpp"
#include "signatures/database_loader.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  static const char *names[] = {"f.hdb", "f.hsb", "f.ndb", "f.fp", "f.sfp", "f.ign2"};
  const char *name = names[data[0] % 6];
  std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
  vg::SignatureSet set;
  try {
    vg::load_database_text(set, name, text);
  } catch (const vg::Error &) {
  }
  return 0;
}
