// Fuzzes the database container reader (.cvd .cld .cud): header, archive, .info and the loading of
// the members. The first byte chooses the kind; the rest is the container.
#include "common/error.hpp"
#include "signatures/cvd_container.hpp"

#include <cstdint>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  static const char *names[] = {"fuzz/main.cvd", "fuzz/daily.cld", "fuzz/local.cud"};
  const char *name = names[data[0] % 3];
  std::span<const std::uint8_t> bytes(data + 1, size - 1);
  try {
    auto c = vg::inspect_cvd(bytes, name);
    (void)c.failure();
  } catch (const vg::Error &) {
  }
  vg::SignatureSet set;
  try {
    vg::load_cvd_container(set, name, bytes);
  } catch (const vg::Error &) {
  }
  try {
    vg::parse_cvd_header_line(
        std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), name);
  } catch (const vg::Error &) {
  }
  return 0;
}
