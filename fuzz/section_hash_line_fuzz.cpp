// libFuzzer target: the .mdb/.msb and .imp line parsers and their loading on arbitrary text.
// A parsed signature must have a nonzero size (or `*`) and a whole MD5/SHA1/SHA256 digest; loading
// either succeeds or throws vg::Error, never anything else.
#include "common/error.hpp"
#include "signatures/database_loader.hpp"
#include "signatures/section_hash_line.hpp"

#include <cstdlib>
#include <string_view>

namespace {
void check(const std::variant<vg::HashSignature, vg::LineSkipped, vg::LineError> &r) {
  if (const auto *s = std::get_if<vg::HashSignature>(&r)) {
    if (s->size == 0 || s->size >= 0xffffffffu) {
      if (s->size != vg::HashSignature::kAnySize)
        std::abort();
    }
    if (s->digest.len != 16 && s->digest.len != 20 && s->digest.len != 32)
      std::abort();
    if (s->name.empty())
      std::abort();
  } else if (const auto *e = std::get_if<vg::LineError>(&r)) {
    if (e->reason.empty())
      std::abort(); // every refusal says why
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  check(vg::parse_section_hash_line(text));
  check(vg::parse_import_hash_line(text));
  for (const char *path : {"fuzz.mdb", "fuzz.msb", "fuzz.imp"}) {
    vg::SignatureSet set;
    try {
      vg::load_database_text(set, path, text);
      set.finish();
    } catch (const vg::Error &) {
    }
  }
  return 0;
}
