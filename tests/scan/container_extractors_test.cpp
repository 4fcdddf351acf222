// Each extractor on containers built in memory: what it yields, how it names it, and how it reports
// damage. Every container hides kMarker; the test checks the extractor hands it back decoded.
#include "scan/container_fixtures.hpp"
#include "scan/containers/extractor_registry.hpp"
#include "scan/containers/text_encodings.hpp"

#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-utils.h>
#include <gtest/gtest.h>

namespace vg {
namespace {

using test::Bytes;
using test::bytes_of;
using test::CollectingSink;
using test::kMarker;

Bytes payload() {
  return bytes_of("payload before " + std::string(kMarker) + " payload after");
}

// Types `data`, finds its extractor and runs it.
CollectingSink extract(const Bytes &data, const char *expect_family) {
  CollectingSink sink;
  const Extractor *x = extractor_for(detect_clamav_type(data), data);
  EXPECT_NE(x, nullptr) << "no extractor for " << clamav_type_name(detect_clamav_type(data));
  if (!x)
    return sink;
  EXPECT_STREQ(x->family(), expect_family);
  x->extract(data, sink);
  return sink;
}

TEST(ContainerExtractors, ZipDeflatedAndStored) {
  test::ZipBuilder z;
  z.add("dir/deflated.bin", payload(), true);
  z.add("stored.bin", payload(), false);
  auto sink = extract(z.finish(), "archive");
  ASSERT_EQ(sink.children.size(), 2u);
  EXPECT_EQ(sink.children[0].name, "dir/deflated.bin");
  EXPECT_EQ(sink.children[0].bytes, payload());
  EXPECT_EQ(sink.children[1].name, "stored.bin");
  EXPECT_EQ(sink.children[1].bytes, payload());
  EXPECT_TRUE(sink.damage.empty());
}

TEST(ContainerExtractors, LibarchiveFormats) {
  struct Case {
    const char *what;
    test::ArchiveSetter format, filter;
    const char *family;
  };
  const Case cases[] = {
      {"7z", archive_write_set_format_7zip, nullptr, "archive"},
      {"ustar", archive_write_set_format_ustar, nullptr, "archive"},
      {"cpio newc", archive_write_set_format_cpio_newc, nullptr, "archive"},
      {"cpio odc", archive_write_set_format_cpio, nullptr, "archive"},
      {"ar", archive_write_set_format_ar_bsd, nullptr, "archive"},
      {"iso9660", archive_write_set_format_iso9660, nullptr, "archive"},
      {"xar", archive_write_set_format_xar, nullptr, "archive"},
      {"tar.gz", archive_write_set_format_ustar, archive_write_add_filter_gzip, "compressed"},
      {"tar.bz2", archive_write_set_format_ustar, archive_write_add_filter_bzip2, "compressed"},
      {"tar.xz", archive_write_set_format_ustar, archive_write_add_filter_xz, "compressed"},
      {"tar.zst", archive_write_set_format_ustar, archive_write_add_filter_zstd, "compressed"},
      {"tar.lzma", archive_write_set_format_ustar, archive_write_add_filter_lzma, "compressed"},
      {"tar.lz4", archive_write_set_format_ustar, archive_write_add_filter_lz4, "compressed"},
      {"tar.Z", archive_write_set_format_ustar, archive_write_add_filter_compress, "compressed"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.what);
    Bytes a = test::libarchive_write(c.format, c.filter, {{"inner/payload.bin", payload()}});
    ASSERT_FALSE(a.empty());
    auto sink = extract(a, c.family);
    if (c.filter) {
      // A compressed stream yields the tar, which the archive extractor then opens.
      ASSERT_EQ(sink.children.size(), 1u);
      auto inner = extract(sink.children[0].bytes, "archive");
      ASSERT_EQ(inner.children.size(), 1u);
      EXPECT_EQ(inner.children[0].bytes, payload());
    } else {
      ASSERT_EQ(sink.children.size(), 1u);
      EXPECT_EQ(sink.children[0].bytes, payload());
      EXPECT_NE(sink.children[0].name.find("payload.bin"), std::string::npos);
    }
  }
}

TEST(ContainerExtractors, TruncatedZipReportsDamageAndKeepsWhatItRead) {
  test::ZipBuilder z;
  z.add("first.bin", payload(), false);
  Bytes big(200000, 'x');
  z.add("second.bin", big, false);
  Bytes zip = z.finish();
  zip.resize(zip.size() / 2); // cut inside the second entry; no central directory left
  auto sink = extract(zip, "archive");
  ASSERT_GE(sink.children.size(), 1u);
  EXPECT_EQ(sink.children[0].bytes, payload());
  bool damaged = !sink.damage.empty();
  for (const auto &c : sink.children)
    damaged = damaged || !c.unreadable.empty();
  EXPECT_TRUE(damaged);
}

TEST(ContainerExtractors, EncryptedZipEntryIsReportedNotRead) {
  test::ZipBuilder z;
  Bytes junk = payload();
  z.add_raw("secret.exe", junk, 0, junk.size(), 0, /*flags: encrypted*/ 1);
  auto sink = extract(z.finish(), "archive");
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_TRUE(sink.children[0].encrypted);
  EXPECT_TRUE(sink.children[0].bytes.empty());
}

TEST(ContainerExtractors, CapCutsLargeEntries) {
  test::ZipBuilder z;
  z.add("big.bin", Bytes(3 << 20, 'A'));
  CollectingSink sink;
  sink.cap = 1 << 20;
  Bytes zip = z.finish();
  extractor_for(detect_clamav_type(zip), zip)->extract(zip, sink);
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_TRUE(sink.children[0].cut);
  EXPECT_EQ(sink.children[0].bytes.size(), 1u << 20);
}

TEST(ContainerExtractors, RatioLimitStopsABombEntryEarly) {
  test::ZipBuilder z;
  z.add("zeros.bin", Bytes(32 << 20, 0));
  CollectingSink sink;
  sink.ratio = 100;
  Bytes zip = z.finish();
  extractor_for(detect_clamav_type(zip), zip)->extract(zip, sink);
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_TRUE(sink.children[0].ratio_exceeded);
  EXPECT_LT(sink.children[0].bytes.size(), 4u << 20);
}

using test::base64;

TEST(ContainerExtractors, RatioLimitLeavesStoredEntriesAlone) {
  // tar and stored zip entries are handed out before their input counts as read; a 2 MiB entry
  // must still come out whole (regression: the bench tree's .tar entries were cut as "bombs").
  Bytes big(2 << 20, 'z');
  test::ZipBuilder z;
  z.add("stored.bin", big, false);
  for (const Bytes &container :
       {test::libarchive_write(archive_write_set_format_ustar, nullptr, {{"big.bin", big}}),
        z.finish()}) {
    CollectingSink sink;
    sink.ratio = 100;
    extractor_for(detect_clamav_type(container), container)->extract(container, sink);
    ASSERT_EQ(sink.children.size(), 1u);
    EXPECT_FALSE(sink.children[0].ratio_exceeded);
    EXPECT_EQ(sink.children[0].bytes.size(), big.size());
  }
}

std::string mail_with(const std::string &parts) {
  return "From: a@example.org\r\nTo: b@example.org\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"BOUND\"\r\n\r\n" +
         parts + "--BOUND--\r\n";
}

TEST(ContainerExtractors, MailPartsDecoded) {
  std::string mail =
      mail_with("--BOUND\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                "--BOUND\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n"
                "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; "
                "filename=\"a.bin\"\r\n\r\n" +
                base64(payload()) +
                "\r\n--BOUND\r\nContent-Type: application/octet-stream; name=\"q.bin\"\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\nbefore=3D" +
                std::string(kMarker) + "\r\n");
  auto sink = extract(bytes_of(mail), "mail");
  ASSERT_EQ(sink.children.size(), 3u);
  EXPECT_EQ(sink.children[1].name, "a.bin");
  EXPECT_EQ(sink.children[1].method, "mime:base64");
  EXPECT_EQ(sink.children[1].bytes, payload());
  EXPECT_EQ(sink.children[2].method, "mime:quoted-printable");
  std::string q(sink.children[2].bytes.begin(), sink.children[2].bytes.end());
  EXPECT_EQ(q.rfind("before=" + std::string(kMarker), 0), 0u) << q;
}

TEST(ContainerExtractors, MailUuencodeInTextAndNestedMessage) {
  std::string uu = "begin 644 u.bin\r\n";
  Bytes p = payload();
  for (std::size_t i = 0; i < p.size(); i += 45) {
    std::size_t n = std::min<std::size_t>(45, p.size() - i);
    uu += static_cast<char>(32 + n);
    for (std::size_t k = 0; k < n; k += 3) {
      std::uint32_t v =
          p[i + k] << 16 | (k + 1 < n ? p[i + k + 1] << 8 : 0) | (k + 2 < n ? p[i + k + 2] : 0);
      for (int s = 18; s >= 0; s -= 6) {
        char c = static_cast<char>(32 + (v >> s & 63));
        uu += c == ' ' ? '`' : c;
      }
    }
    uu += "\r\n";
  }
  uu += "`\r\nend\r\n";
  std::string inner = "From: c@example.org\r\nSubject: inner\r\n\r\nnested body\r\n";
  std::string mail = mail_with("--BOUND\r\nContent-Type: text/plain\r\n\r\nsee below\r\n" + uu +
                               "--BOUND\r\nContent-Type: message/rfc822\r\n\r\n" + inner);
  auto sink = extract(bytes_of(mail), "mail");
  bool uu_found = false, msg_found = false;
  for (const auto &c : sink.children) {
    if (c.method == "uuencode") {
      uu_found = true;
      EXPECT_EQ(c.name, "u.bin");
      EXPECT_EQ(c.bytes, payload());
    }
    if (c.method == "mime:message/rfc822") {
      msg_found = true;
      EXPECT_EQ(c.name, "inner");
      EXPECT_EQ(detect_clamav_type(c.bytes), ClamType::mail);
    }
  }
  EXPECT_TRUE(uu_found);
  EXPECT_TRUE(msg_found);
}

TEST(ContainerExtractors, MboxYieldsEveryMessage) {
  std::string mbox;
  for (int i = 0; i < 3; ++i)
    mbox += "From sender@example.org Thu Jan  1 00:00:00 2026\nFrom: s@example.org\nSubject: m" +
            std::to_string(i) +
            "\nContent-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: base64\n\n" +
            base64(payload()) + "\n\n";
  auto sink = extract(bytes_of(mbox), "mail");
  ASSERT_EQ(sink.children.size(), 3u);
  for (const auto &c : sink.children)
    EXPECT_EQ(c.bytes, payload());
}

TEST(ContainerExtractors, MailHeaderNameCommentDoesNotHideTheStructure) {
  std::string mail = "From: a@example.org\r\nMIME-Version: 1.0\r\n"
                     "Content-Type(hidden): multipart/mixed; boundary=\"Y\"\r\n\r\n"
                     "--Y\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n" +
                     base64(payload()) + "\r\n--Y--\r\n";
  auto sink = extract(bytes_of(mail), "mail");
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_EQ(sink.children[0].bytes, payload());
}

TEST(ContainerExtractors, PdfStreamsWithFilterChains) {
  Bytes flate;
  {
    Bytes p = payload();
    uLongf n = compressBound(p.size());
    flate.resize(n);
    compress(flate.data(), &n, p.data(), p.size());
    flate.resize(n);
  }
  std::string hex;
  for (std::uint8_t b : flate) {
    static const char *h = "0123456789ABCDEF";
    hex += h[b >> 4];
    hex += h[b & 15];
  }
  hex += ">";
  std::string pdf =
      "%PDF-1.4\n1 0 obj\n<< /Length " + std::to_string(flate.size()) +
      " /Filter /FlateDecode >>\nstream\n" + std::string(flate.begin(), flate.end()) +
      "\nendstream\nendobj\n2 0 obj\n<< /Filter [/AHx /Fl] /Length 9 0 R >>\nstream\r\n" + hex +
      "\r\nendstream\nendobj\n3 0 obj\n<< /Filter /ASCII85Decode >>\nstream\n" +
      "87cURD]i,\"Ebo7~>\nendstream\nendobj\n%%EOF\n";
  auto sink = extract(bytes_of(pdf), "pdf");
  ASSERT_EQ(sink.children.size(), 3u);
  EXPECT_EQ(sink.children[0].name, "obj 1 0");
  EXPECT_EQ(sink.children[0].bytes, payload());
  EXPECT_EQ(sink.children[1].method, "pdf:ASCIIHexDecode:FlateDecode");
  EXPECT_EQ(sink.children[1].bytes, payload());
  EXPECT_EQ(std::string(sink.children[2].bytes.begin(), sink.children[2].bytes.end()),
            "Hello World");
}

// The Package native data that wraps a file, as OLE2 and RTF store it.
Bytes package_native(const std::string &file, const Bytes &content) {
  Bytes b = {2, 0};
  auto cstr = [&](const std::string &s) {
    b.insert(b.end(), s.begin(), s.end());
    b.push_back(0);
  };
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  cstr(file);
  cstr("C:\\tmp\\" + file);
  u32(0x00030000);
  std::string tmp = "C:\\tmp\\" + file;
  u32(static_cast<std::uint32_t>(tmp.size() + 1));
  cstr(tmp);
  u32(static_cast<std::uint32_t>(content.size()));
  b.insert(b.end(), content.begin(), content.end());
  return b;
}

TEST(ContainerExtractors, RtfPackageObject) {
  Bytes native = package_native("drop.exe", payload());
  Bytes obj;
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      obj.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  u32(0x0501), u32(2), u32(8);
  for (char c : std::string("Package"))
    obj.push_back(static_cast<std::uint8_t>(c));
  obj.push_back(0);
  u32(0), u32(0), u32(static_cast<std::uint32_t>(native.size()));
  obj.insert(obj.end(), native.begin(), native.end());
  std::string hex;
  for (std::size_t i = 0; i < obj.size(); ++i) {
    static const char *h = "0123456789abcdef";
    hex += h[obj[i] >> 4];
    hex += h[obj[i] & 15];
    if (i % 32 == 31)
      hex += "\r\n";
  }
  std::string rtf =
      "{\\rtf1\\ansi{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata " + hex + "}}}";
  auto sink = extract(bytes_of(rtf), "rtf");
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_EQ(sink.children[0].name, "drop.exe");
  EXPECT_EQ(sink.children[0].bytes, payload());
}

TEST(ContainerExtractors, Ole2StreamsAndOle10Native) {
  gsf_init();
  GsfOutput *mem = gsf_output_memory_new();
  GsfOutfile *ole = gsf_outfile_msole_new(mem);
  GsfOutput *s = gsf_outfile_new_child(ole, "Plain", FALSE);
  Bytes p = payload();
  gsf_output_write(s, p.size(), p.data());
  gsf_output_close(s);
  g_object_unref(s);
  GsfOutput *pool = gsf_outfile_new_child(ole, "ObjectPool", TRUE);
  GsfOutput *st = gsf_outfile_new_child(GSF_OUTFILE(pool), "_1234", TRUE);
  GsfOutput *native = gsf_outfile_new_child(GSF_OUTFILE(st), "\001Ole10Native", FALSE);
  Bytes pkg = package_native("drop.exe", payload());
  Bytes stream = {static_cast<std::uint8_t>(pkg.size()), static_cast<std::uint8_t>(pkg.size() >> 8),
                  0, 0};
  stream.insert(stream.end(), pkg.begin(), pkg.end());
  gsf_output_write(native, stream.size(), stream.data());
  Bytes file = test::ole2_finish({native, st, pool}, ole, mem);

  auto sink = extract(file, "ole2");
  bool plain = false, dropped = false;
  for (const auto &c : sink.children) {
    if (c.name == "Plain" && c.bytes == payload())
      plain = true;
    if (c.name == "drop.exe" && c.method == "ole2:Ole10Native" && c.bytes == payload())
      dropped = true;
  }
  EXPECT_TRUE(plain);
  EXPECT_TRUE(dropped);
}

TEST(ContainerExtractors, TnefAttachment) {
  Bytes t = {0x78, 0x9F, 0x3E, 0x22, 0x01, 0x00};
  auto attr = [&](std::uint8_t level, std::uint32_t id, const Bytes &data) {
    t.push_back(level);
    for (std::uint32_t v : {id, static_cast<std::uint32_t>(data.size())})
      for (int i = 0; i < 4; ++i)
        t.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    t.insert(t.end(), data.begin(), data.end());
    t.push_back(0), t.push_back(0);
  };
  attr(2, 0x00069002, Bytes(14, 0));
  attr(2, 0x00018010, bytes_of(std::string("att.exe") + '\0'));
  attr(2, 0x0006800F, payload());
  auto sink = extract(t, "tnef");
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_EQ(sink.children[0].name, "att.exe");
  EXPECT_EQ(sink.children[0].bytes, payload());
  // Cut inside the data attribute: damage reported, no crash.
  Bytes cut(t.begin(), t.end() - 20);
  auto sink2 = extract(cut, "tnef");
  EXPECT_FALSE(sink2.damage.empty());
}

TEST(ContainerExtractors, HtmlDataUri) {
  std::string html = "<html><body><a href=\"data:application/octet-stream;base64," +
                     base64(payload()) +
                     "\">x</a><img src=\"data:text/plain,notbase64\"></body></html>";
  auto sink = extract(bytes_of(html), "html");
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_EQ(sink.children[0].name, "application/octet-stream");
  EXPECT_EQ(sink.children[0].bytes, payload());
}

TEST(ContainerExtractors, BinhexDecodesHeaderAndDataFork) {
  // Build a BinHex 4.0 block: header (name, version, type, creator, flags, lengths, crc), data
  // fork + crc, empty resource fork + crc; 0x90 is escaped as 0x90 0x00 (no runs used).
  Bytes raw;
  std::string name = "b.exe";
  raw.push_back(static_cast<std::uint8_t>(name.size()));
  raw.insert(raw.end(), name.begin(), name.end());
  raw.push_back(0);
  raw.insert(raw.end(), 10, 0); // type, creator, flags
  Bytes p = payload();
  p.push_back(0x90); // a byte that needs escaping
  for (std::uint32_t v : {static_cast<std::uint32_t>(p.size()), 0u})
    for (int i = 3; i >= 0; --i)
      raw.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  raw.insert(raw.end(), 2, 0);
  raw.insert(raw.end(), p.begin(), p.end());
  raw.insert(raw.end(), 4, 0);
  Bytes esc;
  for (std::uint8_t b : raw) {
    esc.push_back(b);
    if (b == 0x90)
      esc.push_back(0);
  }
  static const std::string alphabet =
      "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";
  std::string text = "(This file must be converted with BinHex 4.0)\r\n:";
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : esc) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      text += alphabet[acc >> bits & 63];
      if (text.size() % 64 == 63)
        text += "\r\n";
    }
  }
  if (bits)
    text += alphabet[acc << (6 - bits) & 63];
  text += ":\r\n";
  auto sink = extract(bytes_of(text), "encoded-text");
  ASSERT_EQ(sink.children.size(), 1u);
  EXPECT_EQ(sink.children[0].name, "b.exe");
  EXPECT_EQ(sink.children[0].bytes, p);
}

TEST(ContainerExtractors, PlainFilesHaveNoExtractor) {
  Bytes text = bytes_of("just some text\n");
  EXPECT_EQ(extractor_for(detect_clamav_type(text), text), nullptr);
  Bytes bin(4096, 0x41);
  bin[0] = 0x7f;
  EXPECT_EQ(extractor_for(detect_clamav_type(bin), bin), nullptr);
}

} // namespace
} // namespace vg
