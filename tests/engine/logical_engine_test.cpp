// Logical (.ldb) signatures through the engine: counts as libclamav counts them, offsets,
// modifiers, the target description block, container chains, and the limitations that must never
// fire.
#include "engine/engine.hpp"
#include "engine/exe_info.hpp"
#include "engine/logical_conditions.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

namespace vg {
namespace {

std::shared_ptr<const Engine> engine_for(const std::string &ldb, const std::string &ndb = {}) {
  SignatureSet set;
  load_database_text(set, "t.ldb", ldb, true);
  if (!ndb.empty())
    load_database_text(set, "t.ndb", ndb, true);
  return Engine::build(std::move(set));
}

std::set<std::string> names(const Engine &e, std::string_view data, bool allmatch = true,
                            ContainerChain chain = {}) {
  Engine::Scratch s;
  auto r = e.scan({reinterpret_cast<const std::uint8_t *>(data.data()), data.size()}, allmatch, s,
                  {}, chain);
  std::set<std::string> out;
  for (const auto &d : r.detections)
    out.insert(std::string(d.name));
  return out;
}

bool fires(const Engine &e, std::string_view data, ContainerChain chain = {}) {
  return !names(e, data, true, chain).empty();
}

// Binary filler so the data is typed as binary, not text (ClamAV scans text normalised).
std::string bin(std::string s) {
  return std::string("\x7f\x01\x02\x03\xfe\xff", 6) + s + std::string(8, '\0');
}

TEST(LogicalEngine, AllSubsignaturesOfAnAnd) {
  auto e = engine_for("A;Target:0;0&1;6162636465;7677787980\n");
  EXPECT_TRUE(fires(*e, bin("..abcde..vwxy\x80..")));
  EXPECT_FALSE(fires(*e, bin("..abcde......")));
  EXPECT_FALSE(fires(*e, bin("..vwxy\x80......")));
  EXPECT_EQ(names(*e, bin("abcde vwxy\x80")), std::set<std::string>{"A"});
}

TEST(LogicalEngine, OrAndNesting) {
  auto e = engine_for("O;Target:0;(0|1)&2;6162636465;6667686970;7172737475\n");
  EXPECT_TRUE(fires(*e, bin("fghip qrstu")));
  EXPECT_FALSE(fires(*e, bin("abcde fghip")));
}

TEST(LogicalEngine, CountsDistinctIncreasingStarts) {
  auto eq2 = engine_for("C;Target:0;0=2;6162636465\n");
  EXPECT_FALSE(fires(*eq2, bin("abcde")));
  EXPECT_TRUE(fires(*eq2, bin("abcde.abcde")));
  EXPECT_FALSE(fires(*eq2, bin("abcde.abcde.abcde")));
  // Overlapping matches count at each start, as the AC matcher reports them.
  auto over = engine_for("V;Target:0;0=3;41414141\n");
  EXPECT_TRUE(fires(*over, bin("AAAAAA")));
  EXPECT_FALSE(fires(*over, bin("AAAAAAA")));
  auto gt = engine_for("G;Target:0;0>2;6162636465\n");
  EXPECT_FALSE(fires(*gt, bin("abcde abcde")));
  EXPECT_TRUE(fires(*gt, bin("abcde abcde abcde")));
  auto lt = engine_for("L;Target:0;0<2&1;6162636465;7172737475\n");
  EXPECT_TRUE(fires(*lt, bin("abcde qrstu")));
  EXPECT_FALSE(fires(*lt, bin("abcde abcde qrstu")));
}

TEST(LogicalEngine, ExpressionsTrueWithoutAnyMatchFireOnEveryFile) {
  auto e = engine_for("Z;Target:0;0=0&1;6162636465;7172737475\nN;Target:0;0<1;6162636465\n");
  EXPECT_EQ(names(*e, bin("qrstu")), (std::set<std::string>{"Z", "N"}));
  EXPECT_EQ(names(*e, bin("abcde qrstu")), std::set<std::string>{});
  EXPECT_EQ(names(*e, bin("nothing here")), std::set<std::string>{"N"});
}

TEST(LogicalEngine, BlockCountsAndDistinct) {
  auto e = engine_for("B;Target:0;(0|1|2)>2,2;6162636465;6667686970;7172737475\n");
  EXPECT_TRUE(fires(*e, bin("abcde abcde fghip")));
  EXPECT_FALSE(fires(*e, bin("abcde abcde abcde abcde"))); // one distinct subsignature
  EXPECT_FALSE(fires(*e, bin("abcde fghip")));             // count 2, not more than 2
}

TEST(LogicalEngine, SubsignatureOffsets) {
  auto e = engine_for("O;Target:0;0&1;8:6162636465;EOF-5:7172737475\n");
  std::string d = bin("abcde"); // "abcde" at 6
  EXPECT_FALSE(fires(*e, d + "qrstu"));
  std::string at8 = std::string("\x7f\x01\x02\x03\xfe\xff\x00\x00", 8) + "abcde" + "...qrstu";
  EXPECT_TRUE(fires(*e, at8));
  EXPECT_FALSE(fires(*e, at8 + ".")); // qrstu no longer at EOF-5
  auto shift = engine_for("S;Target:0;0;4,4:6162636465\n");
  EXPECT_TRUE(fires(*shift, at8)); // 8 within 4..8
}

TEST(LogicalEngine, Modifiers) {
  auto i = engine_for("I;Target:0;0;48656c6c6f576f726c64::i\n"); // HelloWorld
  EXPECT_TRUE(fires(*i, bin("..hElLoWoRlD..")));
  EXPECT_FALSE(fires(*i, bin("..hElLoWoRl..")));
  auto plain = engine_for("P;Target:0;0;48656c6c6f576f726c64\n");
  EXPECT_FALSE(fires(*plain, bin("..hElLoWoRlD..")));
  auto w = engine_for("W;Target:0;0;48656c6c6f::w\n");
  EXPECT_TRUE(fires(*w, bin(std::string("H\0e\0l\0l\0o\0", 10))));
  EXPECT_FALSE(fires(*w, bin("Hello")));
  auto wa = engine_for("WA;Target:0;0;48656c6c6f::wa\n");
  EXPECT_TRUE(fires(*wa, bin(std::string("H\0e\0l\0l\0o\0", 10))));
  EXPECT_TRUE(fires(*wa, bin("Hello")));
  auto f = engine_for("F;Target:0;0;48656c6c6f::f\n");
  EXPECT_TRUE(fires(*f, bin(" Hello ")));
  EXPECT_FALSE(fires(*f, bin("xHellox")));
  // Both forms of ::wa count towards the same subsignature.
  auto wa2 = engine_for("WA2;Target:0;0=2;48656c6c6f::wa\n");
  EXPECT_TRUE(fires(*wa2, bin(std::string("Hello H\0e\0l\0l\0o\0", 16))));
}

TEST(LogicalEngine, WeakAndAnchoredSubsignatures) {
  // Two-byte subsignatures have no atom for the prefilter: the weak tier counts them.
  auto e = engine_for("W;Target:0;0=2&1;4142;0:7f01\n");
  EXPECT_TRUE(fires(*e, bin("AB.AB")));
  EXPECT_FALSE(fires(*e, bin("AB.AB.AB")));
}

TEST(LogicalEngine, FileSize) {
  auto e = engine_for("S;Engine:51-255,Target:0,FileSize:10-30;0;6162636465\n");
  EXPECT_TRUE(fires(*e, bin("abcde"))); // 19 bytes
  EXPECT_FALSE(fires(*e, bin("abcde" + std::string(20, '.'))));
}

TEST(LogicalEngine, TargetTypeSelectsFiles) {
  auto e = engine_for("PE;Target:1;0;6162636465\n");
  EXPECT_FALSE(fires(*e, bin("abcde"))); // not a PE file
}

std::string read_file(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(LogicalEngine, EntryPointAndSectionsOfARealPe) {
  auto exe = std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/pe_allmatch/test.exe";
  if (!std::filesystem::exists(exe))
    GTEST_SKIP() << "shared test data missing: " << exe;
  std::string data = read_file(exe);
  auto info = parse_exe_info({reinterpret_cast<const std::uint8_t *>(data.data()), data.size()},
                             FileKind::pe);
  ASSERT_TRUE(info.entry_point);
  auto ep = *info.entry_point;
  auto n = info.sections.size();
  // "MZ" at 0 is the subsignature.
  auto line = [](const std::string &name, const std::string &attr) {
    return name + ";Engine:51-255,Target:1," + attr + ";0;0:4d5a\n";
  };
  std::string db =
      line("EpIn", "EntryPoint:" + std::to_string(ep) + "-" + std::to_string(ep)) +
      line("EpOut", "EntryPoint:" + std::to_string(ep + 1) + "-" + std::to_string(ep + 9)) +
      line("NosIn", "NumberOfSections:" + std::to_string(n) + "-" + std::to_string(n)) +
      line("NosOut", "NumberOfSections:" + std::to_string(n + 1) + "-99") +
      "Elf;Engine:51-255,Target:6,EntryPoint:0-4294967295;0;0:4d5a\n";
  auto e = engine_for(db);
  EXPECT_EQ(names(*e, data), (std::set<std::string>{"EpIn", "NosIn"}));
}

TEST(LogicalEngine, ContainerAndIntermediates) {
  auto e = engine_for(
      "InPdf;Engine:51-255,Target:0,Container:CL_TYPE_PDF;0;6162636465\n"
      "InZip;Engine:51-255,Target:0,Container:CL_TYPE_ZIP;0;6162636465\n"
      "InMail;Engine:51-255,Target:0,Container:CL_TYPE_MAIL;0;6162636465\n"
      "TopLevel;Engine:51-255,Target:0,Container:CL_TYPE_ANY;0;6162636465\n"
      "Chain;Engine:51-255,Target:0,Intermediates:CL_TYPE_GZ>CL_TYPE_ANY;0;6162636465\n"
      "MailZip;Engine:51-255,Target:0,Intermediates:CL_TYPE_MAIL>CL_TYPE_ZIP;0;6162636465\n");
  std::string d = bin("abcde");
  // A plain file's parent is CL_TYPE_ANY in libclamav: only Container:CL_TYPE_ANY holds.
  EXPECT_EQ(names(*e, d), std::set<std::string>{"TopLevel"});
  const ClamType pdf[] = {ClamType::pdf};
  EXPECT_EQ(names(*e, d, true, pdf), std::set<std::string>{"InPdf"});
  // Intermediates GZ>ANY: ANY uses up no layer, so GZ is compared with the direct parent.
  const ClamType gz_pdf[] = {ClamType::gz, ClamType::pdf};
  EXPECT_EQ(names(*e, d, true, gz_pdf), std::set<std::string>{"InPdf"});
  const ClamType pdf_gz[] = {ClamType::pdf, ClamType::gz};
  EXPECT_EQ(names(*e, d, true, pdf_gz), std::set<std::string>{"Chain"});
  const ClamType zip[] = {ClamType::zip};
  EXPECT_EQ(names(*e, d, true, zip), std::set<std::string>{"InZip"});
  // CL_TYPE_OOXML_WORD is not CL_TYPE_ZIP.
  const ClamType docx[] = {ClamType::ooxml_word};
  EXPECT_EQ(names(*e, d, true, docx), std::set<std::string>{});
  const ClamType mail_zip[] = {ClamType::mail, ClamType::zip};
  EXPECT_EQ(names(*e, d, true, mail_zip), (std::set<std::string>{"InZip", "MailZip"}));
  const ClamType zip_mail[] = {ClamType::zip, ClamType::mail};
  EXPECT_EQ(names(*e, d, true, zip_mail), std::set<std::string>{"InMail"});
}

TEST(LogicalEngine, WhatCannotBeEvaluatedNeverFires) {
  auto e = engine_for("Handler;Engine:51-255,Target:0,HandlerType:CL_TYPE_PDF;0;6162636465\n"
                      "Macro;Engine:81-255,Target:0;0|1;6162636465;${1-2}3$\n"
                      "Unknown;Engine:51-255,Target:0,Container:CL_TYPE_NOSUCH;0;6162636465\n"
                      "Ok;Target:0;0;6162636465\n");
  EXPECT_EQ(names(*e, bin("abcde")), std::set<std::string>{"Ok"});
  const ClamType pdf[] = {ClamType::pdf};
  EXPECT_EQ(names(*e, bin("abcde"), true, pdf), std::set<std::string>{"Ok"});
  EXPECT_EQ(e->stats().logical, 1u);
  EXPECT_EQ(e->stats().logical_not_evaluable, 2u);
}

TEST(LogicalEngine, PcreRunsWhenItsTriggerHolds) {
  auto e = engine_for("Pcre;Engine:81-255,Target:0;0&1;6162636465;0/x[0-9]{3}y/\n"
                      "Count;Engine:81-255,Target:0;0&1=2;6162636465;0/x[0-9]{3}y/g\n"
                      "NoTrig;Engine:81-255,Target:0;1;6162636465;0/x[0-9]{3}y/\n");
  // NoTrig's expression needs only the PCRE subsignature, whose trigger still needs subsig 0.
  EXPECT_EQ(names(*e, bin("abcde x123y")), (std::set<std::string>{"Pcre", "NoTrig"}));
  EXPECT_EQ(names(*e, bin("abcde x123y x456y")),
            (std::set<std::string>{"Pcre", "Count", "NoTrig"}));
  EXPECT_EQ(names(*e, bin("x123y x456y")), std::set<std::string>{}); // trigger never held
  EXPECT_EQ(names(*e, bin("abcde x12y")), std::set<std::string>{});
}

TEST(LogicalEngine, ByteCompareAtTheTriggersLastMatch) {
  auto e = engine_for("Bc;Engine:81-255,Target:0;0&1;6162636465;0(>>5#hb2#=0x41)\n");
  EXPECT_TRUE(fires(*e, bin("abcde41")));
  EXPECT_FALSE(fires(*e, bin("abcde42")));
  EXPECT_TRUE(fires(*e, bin("abcde42 abcde41"))); // the last match of the trigger decides
  EXPECT_FALSE(fires(*e, bin("abcde41 abcde42")));
}

TEST(LogicalEngine, IconGroupsNeverFire) {
  // pe_allmatch's icon signatures: clamscan fires them only with the .idb icon data loaded.
  auto exe = std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/pe_allmatch/test.exe";
  if (!std::filesystem::exists(exe))
    GTEST_SKIP() << "shared test data missing: " << exe;
  auto e = engine_for("Icon1;Engine:51-255,Target:1,IconGroup1:TEST_ICON_GROUP_1;0;"
                      "434c414d41565f544553545f5052494e54465f535452494e475f\n"
                      "Icon2;Engine:51-255,Target:1,IconGroup2:TEST_ICON_GROUP_2;0;"
                      "434c414d41565f544553545f5052494e54465f535452494e47\n"
                      "NoIcon;Engine:51-255,Target:1;0;"
                      "434c414d41565f544553545f5052494e54465f535452494e47\n");
  EXPECT_EQ(names(*e, read_file(exe)), std::set<std::string>{"NoIcon"});
}

TEST(LogicalEngine, FirstMatchStopsWithoutAllmatch) {
  auto e =
      engine_for("L1;Target:0;0;6162636465\nL2;Target:0;0;6162636465\n", "N1:0:*:6162636465\n");
  auto one = names(*e, bin("abcde"), false);
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(names(*e, bin("abcde")), (std::set<std::string>{"L1", "L2", "N1"}));
}

TEST(LogicalEngine, ScratchReusedAcrossFiles) {
  auto e = engine_for("C;Target:0;0=2;6162636465\n");
  Engine::Scratch s;
  auto scan = [&](std::string d) {
    return e->scan({reinterpret_cast<const std::uint8_t *>(d.data()), d.size()}, true, s)
        .detections.size();
  };
  EXPECT_EQ(scan(bin("abcde")), 0u);
  EXPECT_EQ(scan(bin("abcde")), 0u); // counts do not leak from one file to the next
  EXPECT_EQ(scan(bin("abcde abcde")), 1u);
  EXPECT_EQ(scan(bin("abcde abcde abcde")), 0u);
}

TEST(LogicalConditions, TypeNames) {
  EXPECT_EQ(clamav_type_from_name("CL_TYPE_MSEXE"), ClamType::msexe);
  EXPECT_EQ(clamav_type_from_name("CL_TYPE_POSIX_TAR"), ClamType::posix_tar);
  EXPECT_EQ(clamav_type_from_name("CL_TYPE_CPIO_NEWC"), ClamType::cpio_newc);
  EXPECT_EQ(clamav_type_from_name("CL_TYPE_ANY"), std::nullopt);
  EXPECT_EQ(clamav_type_from_name("CL_TYPE_DMG"), std::nullopt);
  EXPECT_EQ(clamav_type_from_name("CL_TYPE_NOSUCH"), std::nullopt);
  // Every name ClamAV accepts either names a ClamType with that exact name or none at all.
  for (unsigned v = 0; v <= static_cast<unsigned>(ClamType::ignored); ++v) {
    auto t = static_cast<ClamType>(v);
    EXPECT_TRUE(is_clamav_type_name(clamav_type_name(t))) << clamav_type_name(t);
    EXPECT_EQ(clamav_type_from_name(clamav_type_name(t)), t);
  }
  const ClamType chain[] = {ClamType::mail, ClamType::zip};
  EXPECT_TRUE(chain_layer_is(chain, 1, "CL_TYPE_ZIP"));
  EXPECT_TRUE(chain_layer_is(chain, 2, "CL_TYPE_MAIL"));
  EXPECT_TRUE(chain_layer_is(chain, 3, "CL_TYPE_ANY"));
  EXPECT_FALSE(chain_layer_is(chain, 1, "CL_TYPE_ANY"));
  EXPECT_FALSE(chain_layer_is(chain, 3, "CL_TYPE_MAIL"));
}

} // namespace
} // namespace vg

namespace vg {
namespace {

// Repeated subsignature patterns share one matcher; the atom too, unless the first occurrence is
// anchored (and has none) while the repeat is not. Here the same bytes are anchored at 0 (first)
// and searched anywhere (repeat): the repeat must still be found away from offset 0, and the
// anchored one only at 0.
TEST(LogicalEngine, EqualPatternsOfDifferentAnchoringAreFoundEachWhereItMay) {
  SignatureSet set;
  load_database_text(set, "t.ldb", "L.X;Target:0;0&1;0:41424344;*:41424344\n", true);
  ASSERT_EQ(set.logicals.size(), 1u);
  ASSERT_EQ(set.logicals[0].subsigs.size(), 2u);
  ASSERT_TRUE(set.logicals[0].subsigs[0].patterns == set.logicals[0].subsigs[1].patterns);
  auto e = Engine::build(std::move(set));
  const std::string tail = "\x7f\x01\x02\x03\xfe\xff" + std::string(8, '\0');
  EXPECT_EQ(names(*e, "ABCD" + tail), std::set<std::string>{"L.X"}); // both at 0
  EXPECT_EQ(names(*e, "ABCD.." + tail + "ABCD"), std::set<std::string>{"L.X"});
  EXPECT_FALSE(fires(*e, ".ABCD" + tail + "ABCD")); // 0 does not hold: not at offset 0
}

} // namespace
} // namespace vg
