// libFuzzer target: the container extractors and the recursion driver on arbitrary bytes. The first
// byte picks an extractor (so every parser is reached without its magic), the rest is the
// container; then the same bytes go through the registry and the driver with tight limits. Checks
// that every child respects the cap and that the driver stays within its limits.
#include "engine/engine.hpp"
#include "scan/containers/archive_extractor.hpp"
#include "scan/containers/container_scanner.hpp"
#include "scan/containers/encoded_text_extractor.hpp"
#include "scan/containers/extractor_registry.hpp"
#include "scan/containers/html_extractor.hpp"
#include "scan/containers/mail_extractor.hpp"
#include "scan/containers/mspack_extractor.hpp"
#include "scan/containers/ole2_extractor.hpp"
#include "scan/containers/onenote_extractor.hpp"
#include "scan/containers/pdf_extractor.hpp"
#include "scan/containers/rtf_extractor.hpp"
#include "scan/containers/tnef_extractor.hpp"
#include "signatures/database_loader.hpp"

#include <cstdlib>

namespace {

constexpr std::uint64_t kCap = 1 << 16;

class CheckingSink final : public vg::ChildSink {
public:
  std::uint64_t size_cap() const override { return kCap; }
  double max_ratio() const override { return 100; }
  std::uint64_t ratio_floor() const override { return 1 << 14; }
  bool keep_going() const override { return children_ < 64; }
  unsigned depth_left() const override { return 4; }
  void limit_reached(const char *, const std::string &) override {}
  void damaged(const std::string &) override {}
  bool child(vg::ChildObject &&c) override {
    if (c.bytes.size() > kCap)
      std::abort();
    return ++children_ < 64;
  }

private:
  unsigned children_ = 0;
};

const vg::Engine &engine() {
  static auto e = [] {
    vg::SignatureSet set;
    vg::load_database_text(set, "fuzz.ndb", "Fuzz.Marker:0:*:4d5a90000300\n");
    return vg::Engine::build(std::move(set));
  }();
  return *e;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  static const vg::ArchiveExtractor archive(vg::ArchiveExtractor::Mode::archive);
  static const vg::ArchiveExtractor stream(vg::ArchiveExtractor::Mode::stream);
  static const vg::MailExtractor mail;
  static const vg::Ole2Extractor ole2;
  static const vg::PdfExtractor pdf;
  static const vg::RtfExtractor rtf;
  static const vg::HtmlExtractor html;
  static const vg::TnefExtractor tnef;
  static const vg::EncodedTextExtractor encoded;
  static const vg::MspackExtractor chm(vg::MspackExtractor::Format::chm);
  static const vg::MspackExtractor szdd(vg::MspackExtractor::Format::szdd);
  static const vg::OneNoteExtractor onenote;
  static const vg::Extractor *all[] = {&archive, &stream, &mail,    &ole2, &pdf,  &rtf,
                                       &html,    &tnef,   &encoded, &chm,  &szdd, &onenote};
  const std::span<const std::uint8_t> body(data + 1, size - 1);
  CheckingSink sink;
  all[data[0] % std::size(all)]->extract(body, sink);

  vg::ScanOptions opts;
  opts.max_recursion = 3;
  opts.max_files = 32;
  opts.max_filesize = kCap;
  opts.max_scansize = 1 << 20;
  opts.max_scantime_ms = 2000;
  opts.allmatch = (data[0] & 0x80) != 0;
  vg::Engine::Scratch scratch;
  vg::FileResult r;
  vg::scan_contents(engine(), opts, scratch, body, r);
  if (r.scanned > opts.max_scansize || r.objects > 32 * 32 * 32 + 32 * 32 + 32)
    std::abort();
  for (const auto &v : r.verdicts)
    if (v.chain.size() > opts.max_recursion)
      std::abort();
  return 0;
}
