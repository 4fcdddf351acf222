// Fuzz target: every address-book parser (first byte picks the format) and the change describer.
// Bad input must give vg::Error, never a crash, hang or sanitizer report.
#include "common/error.hpp"
#include "guard/assets/asset_format.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace vg::guard;
  if (size < 1)
    return 0;
  static const AssetFormat formats[] = {AssetFormat::baresip_contacts,
                                        AssetFormat::linphonerc,
                                        AssetFormat::linphone_friends_db,
                                        AssetFormat::jami_profile,
                                        AssetFormat::twinkle_ab,
                                        AssetFormat::eds_contacts_db,
                                        AssetFormat::vcard,
                                        AssetFormat::opaque};
  AssetFormat f = formats[data[0] % (sizeof formats / sizeof formats[0])];
  std::span<const std::uint8_t> body(data + 1, size - 1);
  // Jami takes the number from the file name: use a valid one and, half the time, one from the
  // input.
  std::string name = "MTIzNDU2Nw==.vcf";
  if (f == AssetFormat::jami_profile && (data[0] & 0x80) && size > 9) {
    name.assign(reinterpret_cast<const char *>(data + 1), 8);
    name += ".vcf";
    body = body.subspan(8);
  }
  try {
    parse_asset(f, body, name);
  } catch (const vg::Error &) {
  }
  // describe_change never throws: compare the input's two halves.
  std::size_t half = body.size() / 2;
  describe_change(f, name, body.first(half), body.subspan(half));
  return 0;
}
