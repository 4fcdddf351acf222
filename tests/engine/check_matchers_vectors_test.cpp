// Conformance: the body-signature vectors of ClamAV's unit_tests/check_matchers.c (shared data
// check_matchers_vectors.jsonl) fed straight to the parser and BodyMatcher.
#include "engine/body_matcher.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace vg {
namespace {

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
    auto data_hex = v.at("data_hex").get<std::string>();
    std::vector<std::uint8_t> data;
    for (std::size_t i = 0; i + 1 < data_hex.size(); i += 2)
      data.push_back(static_cast<std::uint8_t>(std::stoi(data_hex.substr(i, 2), nullptr, 16)));
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
  std::cout << "checked " << checked << " body-signature vectors; skipped " << skipped_pcre
            << " pcre_testdata vectors (PCRE subsignatures are not body patterns)\n";
  EXPECT_EQ(checked, 45u);
}

} // namespace
} // namespace vg
