// Conformance: the vectors of ClamAV's unit_tests/check_matchers.c (shared data
// check_matchers_vectors.jsonl): body signatures fed straight to the parser and BodyMatcher, PCRE
// subsignatures through parse_pcre_subsignature() and PcreMatcher with the vector's offset.
#include "engine/body_matcher.hpp"
#include "engine/pcre_matcher.hpp"
#include "signatures/pcre_subsignature.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

namespace vg {
namespace {

std::vector<std::uint8_t> hex_bytes(const std::string &hex) {
  std::vector<std::uint8_t> data;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    data.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return data;
}

TEST(CheckMatchersVectors, BodySignatureTablesGiveTheExpectedVerdict) {
  auto path =
      std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/check_matchers_vectors.jsonl";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << "shared data missing: " << path;
  std::ifstream in(path);
  std::string line;
  std::size_t checked = 0, skipped_pcre = 0, lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty())
      continue;
    auto v = nlohmann::json::parse(line);
    std::string table = v.at("table");
    if (table == "pcre_testdata") {
      ++skipped_pcre;
      continue;
    }
    ASSERT_TRUE(table == "ac_testdata" || table == "ac_sigopts_testdata") << "line " << lineno;
    std::string name = v.at("virname");
    auto data = hex_bytes(v.at("data_hex").get<std::string>());
    BodyPatternOptions o;
    if (v.contains("sigopts"))
      for (const auto &opt : v["sigopts"]) {
        std::string s = opt;
        o.nocase |= s == "NOCASE";
        o.wide |= s == "WIDE";
        o.fullword |= s == "FULLWORD";
        o.ascii |= s == "ASCII";
      }
    auto parsed = parse_body_pattern(v.at("hexsig").get<std::string>(), o);
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.error;
    bool found = false;
    for (const auto &p : parsed.patterns) {
      BodyMatcher m(p);
      found = found || m.find(data, 0, data.size()).has_value();
    }
    std::string expect = v.at("expect");
    EXPECT_EQ(found ? "CL_VIRUS" : "CL_CLEAN", expect) << "line " << lineno << " " << name;
    ++checked;
  }
  std::cout << "checked " << checked << " body-signature vectors; " << skipped_pcre
            << " pcre_testdata vectors are checked by PcreVectors\n";
  EXPECT_EQ(checked, 45u);
}

// Rows 5-11 of pcre_testdata in the shared file are damaged: their offset "n,maxshift" was split
// at its comma by the extractor, so the start n is lost, maxshift sits in "sigopts" as `8"`, the
// name in "expect" and the expected result is gone. For those rows only, offset and result come
// from upstream's table (Cisco-Talos/clamav unit_tests/check_matchers.c, pcre_testdata); the test
// checks that what is left of the row (regex, data, maxshift) still agrees with it.
struct UpstreamPcreRow {
  const char *offset;
  bool virus;
};
const std::map<std::string, UpstreamPcreRow> &damaged_row_repairs() {
  static const std::map<std::string, UpstreamPcreRow> rows = {
      {"Test_5: encompass option", {"3,8", true}},
      {"Test6: encompass option (low end)", {"4,8", false}},
      {"Test7: encompass option (high end)", {"3,7", false}},
      {"Test8: rolling encompass", {"2,2", false}},
      {"Test9: rolling(off) encompass", {"2,2", false}},
      {"Test10: rolling encompass", {"2,6", true}},
      {"Test11: rolling(off) encompass", {"2,6", true}},
  };
  return rows;
}

struct PcreVector {
  std::string name, pcre, offset;
  std::vector<std::uint8_t> data;
  bool virus = false;
  bool repaired = false;
};

std::vector<PcreVector> load_pcre_vectors(const std::filesystem::path &path) {
  std::vector<PcreVector> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty())
      continue;
    auto v = nlohmann::json::parse(line);
    if (v.at("table") != "pcre_testdata")
      continue;
    PcreVector t;
    t.pcre = v.at("pcre");
    t.data = hex_bytes(v.at("data_hex"));
    std::string expect = v.at("expect");
    if (expect == "CL_VIRUS" || expect == "CL_SUCCESS" || expect == "CL_CLEAN") {
      t.name = v.at("virname");
      t.offset = v.at("offset");
      t.virus = expect == "CL_VIRUS";
    } else {
      t.name = expect.size() >= 2 && expect.front() == '"' ? expect.substr(1, expect.size() - 2)
                                                           : expect;
      auto it = damaged_row_repairs().find(t.name);
      EXPECT_NE(it, damaged_row_repairs().end()) << "unknown damaged row " << line;
      if (it == damaged_row_repairs().end())
        continue;
      t.offset = it->second.offset;
      t.virus = it->second.virus;
      t.repaired = true;
      // What survived of "n,maxshift" is `maxshift"` in sigopts.
      std::string shift = t.offset.substr(t.offset.find(',') + 1);
      EXPECT_EQ(v.at("sigopts").at(0).get<std::string>(), shift + "\"") << t.name;
    }
    out.push_back(std::move(t));
  }
  return out;
}

// Upstream loads all 11 regexes into one matcher root and expects each data buffer to give the
// listed result against all of them (cli_pcre_scanbuf); the vector's own regex alone must agree.
TEST(CheckMatchersVectors, PcreVectors) {
  auto path =
      std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav/unittests/check_matchers_vectors.jsonl";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << "shared data missing: " << path;
  auto vectors = load_pcre_vectors(path);
  ASSERT_EQ(vectors.size(), 11u);

  std::vector<PcreMatcher> matchers;
  for (const auto &t : vectors) {
    // The vector's regex as the PCRE subsignature of an .ldb line, with a trigger and its offset.
    auto parsed = parse_pcre_subsignature(t.offset + ":0" + t.pcre);
    ASSERT_TRUE(parsed.ok()) << t.name << ": " << parsed.error;
    auto compiled = PcreMatcher::compile(parsed.sig);
    ASSERT_TRUE(compiled.ok()) << t.name << ": " << compiled.error;
    matchers.push_back(std::move(*compiled.matcher));
  }
  std::size_t repaired = 0;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const auto &t = vectors[i];
    repaired += t.repaired;
    OffsetContext ctx;
    ctx.file_size = t.data.size();
    auto hits = [&](const PcreMatcher &m) {
      bool hit = false;
      auto outcome = m.scan(t.data, ctx, [&](std::uint64_t) { return hit = true, false; });
      EXPECT_NE(outcome, PcreScanOutcome::error) << t.name;
      return hit;
    };
    bool any = false;
    for (const auto &m : matchers)
      any = hits(m) || any;
    EXPECT_EQ(any, t.virus) << t.name << " against all 11 regexes";
    EXPECT_EQ(hits(matchers[i]), t.virus) << t.name << " against its own regex";
  }
  std::cout << "checked 11 pcre_testdata vectors (" << repaired
            << " with offset and result restored from upstream: the shared file lost them)\n";
}

} // namespace
} // namespace vg
