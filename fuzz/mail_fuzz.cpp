// libFuzzer target: mail through gmime (single message and mbox) with the MIME walk, and the
// uuencode/BinHex finders on the same bytes. Checks that decoded parts respect the cap and that a
// nested MIME tree never goes deeper than the sink allows.
#include "scan/containers/mail_extractor.hpp"
#include "scan/containers/text_encodings.hpp"

#include <cstdlib>

namespace {

constexpr std::uint64_t kCap = 1 << 16;

class CheckingSink final : public vg::ChildSink {
public:
  std::uint64_t size_cap() const override { return kCap; }
  double max_ratio() const override { return 0; }
  std::uint64_t ratio_floor() const override { return 0; }
  bool keep_going() const override { return children_ < 256; }
  unsigned depth_left() const override { return 8; }
  void limit_reached(const char *, const std::string &) override {}
  void damaged(const std::string &) override {}
  bool child(vg::ChildObject &&c) override {
    if (c.bytes.size() > kCap || c.method.empty())
      std::abort();
    return ++children_ < 256;
  }

private:
  unsigned children_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  static const vg::MailExtractor mail;
  CheckingSink sink;
  mail.extract(bytes, sink);
  for (const auto &c : vg::find_uuencoded(bytes, kCap, 16))
    if (c.bytes.size() > kCap)
      std::abort();
  for (const auto &c : vg::find_binhex(bytes, kCap))
    if (c.bytes.size() > kCap)
      std::abort();
  return 0;
}
