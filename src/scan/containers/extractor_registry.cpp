#include "scan/containers/extractor_registry.hpp"

#include "scan/containers/archive_extractor.hpp"
#include "scan/containers/encoded_text_extractor.hpp"
#include "scan/containers/html_extractor.hpp"
#include "scan/containers/mail_extractor.hpp"
#include "scan/containers/mspack_extractor.hpp"
#include "scan/containers/ole2_extractor.hpp"
#include "scan/containers/onenote_extractor.hpp"
#include "scan/containers/pdf_extractor.hpp"
#include "scan/containers/rtf_extractor.hpp"
#include "scan/containers/tnef_extractor.hpp"

#include <algorithm>
#include <array>

namespace vg {

namespace {

bool starts_with(std::span<const std::uint8_t> d, std::initializer_list<std::uint8_t> magic) {
  return d.size() >= magic.size() && std::equal(magic.begin(), magic.end(), d.begin());
}

// Compressed streams and archives ClamAV has no type for; libarchive reads them.
const Extractor *by_magic(std::span<const std::uint8_t> d) {
  static const ArchiveExtractor stream(ArchiveExtractor::Mode::stream);
  static const ArchiveExtractor archive(ArchiveExtractor::Mode::archive);
  if (starts_with(d, {0x28, 0xB5, 0x2F, 0xFD}) ||       // zstd
      starts_with(d, {0x04, 0x22, 0x4D, 0x18}) ||       // lz4
      starts_with(d, {0x1F, 0x9D}) ||                   // compress (.Z)
      starts_with(d, {0x89, 'L', 'Z', 'O', 0, '\r'}) || // lzop
      (d.size() >= 13 && d[0] == 0x5D && d[1] == 0 && d[2] == 0 &&
       (d[12] == 0 || d[12] == 0xFF))) // lzma "alone": props 0x5D, dictionary, size
    return &stream;
  if (starts_with(d, {'!', '<', 'a', 'r', 'c', 'h', '>', '\n'}) || // ar
      starts_with(d, {'P', 'K', 0x07, 0x08}) ||                    // split zip, first segment
      starts_with(d, {'P', 'K', '0', '0', 'P', 'K', 0x03, 0x04}) ||
      (d.size() > 0x8006 && std::equal(d.begin() + 0x8001, d.begin() + 0x8006, "CD001")))
    return &archive; // ISO 9660 volume descriptor at sector 16
  return nullptr;
}

} // namespace

const Extractor *extractor_for(ClamType type, std::span<const std::uint8_t> data) {
  static const ArchiveExtractor archive(ArchiveExtractor::Mode::archive);
  static const ArchiveExtractor stream(ArchiveExtractor::Mode::stream);
  static const MailExtractor mail;
  static const Ole2Extractor ole2;
  static const PdfExtractor pdf;
  static const RtfExtractor rtf;
  static const HtmlExtractor html;
  static const TnefExtractor tnef;
  static const EncodedTextExtractor encoded;
  static const MspackExtractor chm(MspackExtractor::Format::chm);
  static const MspackExtractor szdd(MspackExtractor::Format::szdd);
  static const OneNoteExtractor onenote;
  switch (type) {
  case ClamType::zip:
  case ClamType::zipsfx:
  case ClamType::rar:
  case ClamType::rarsfx:
  case ClamType::sevenzip:
  case ClamType::sevenzipsfx:
  case ClamType::posix_tar:
  case ClamType::old_tar:
  case ClamType::cpio_old:
  case ClamType::cpio_odc:
  case ClamType::cpio_newc:
  case ClamType::cpio_crc:
  case ClamType::mscab:
  case ClamType::cabsfx:
  case ClamType::iso9660:
  case ClamType::lha_lzh:
  case ClamType::xar:
  case ClamType::ooxml_word:
  case ClamType::ooxml_ppt:
  case ClamType::ooxml_xl:
  case ClamType::ooxml_hwp:
    return &archive;
  case ClamType::gz:
  case ClamType::bz:
  case ClamType::xz:
    return &stream;
  case ClamType::mail:
  case ClamType::mhtml:
    return &mail;
  case ClamType::msole2:
  case ClamType::hwpole2:
    return &ole2;
  case ClamType::pdf:
    return &pdf;
  case ClamType::rtf:
    return &rtf;
  case ClamType::html:
  case ClamType::html_utf16:
    return &html;
  case ClamType::tnef:
    return &tnef;
  case ClamType::binhex:
  case ClamType::uuencoded:
    return &encoded;
  case ClamType::mschm:
    return &chm;
  case ClamType::msszdd:
    return &szdd;
  case ClamType::onenote:
    return &onenote;
  default:
    return by_magic(data);
  }
}

} // namespace vg
