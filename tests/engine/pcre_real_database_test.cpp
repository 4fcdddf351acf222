// Every PCRE subsignature of the real databases in the shared data (official main.ldb subset and
// the ditekshen .ldb files), split out of its line by the .ldb parser, must compile with
// PcreMatcher: clamscan 1.4.6 loads all of them.
#include "engine/pcre_matcher.hpp"
#include "signatures/logical_line.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vg {
namespace {

TEST(PcreRealDatabases, EveryPcreSubsignatureCompiles) {
  const auto root = std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav";
  const std::filesystem::path files[] = {root / "official-talos-subset/main.ldb",
                                         root / "ditekshen/clamav.ldb",
                                         root / "ditekshen/indicator_rmm.ldb"};
  for (const auto &f : files)
    if (!std::filesystem::exists(f))
      GTEST_SKIP() << "shared data missing: " << f;
  std::size_t pcre = 0, jit = 0, lines_with_pcre = 0;
  for (const auto &f : files) {
    std::ifstream in(f);
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      auto parsed = parse_ldb_line(line);
      if (auto *err = std::get_if<LineError>(&parsed)) {
        EXPECT_EQ(line.find('/'), std::string::npos)
            << f.filename() << ":" << lineno << ": " << err->reason;
        continue;
      }
      auto *sig = std::get_if<LogicalSignature>(&parsed);
      if (!sig)
        continue;
      bool any = false;
      for (const auto &sub : sig->subsigs) {
        if (sub.kind != LogicalSubsignature::Kind::pcre)
          continue;
        any = true;
        auto m = PcreMatcher::compile(sub.pcre());
        EXPECT_TRUE(m.ok()) << f.filename() << ":" << lineno << " " << sig->name << ": " << m.error;
        ++pcre;
        jit += m.ok() && m.matcher->jit_compiled();
      }
      lines_with_pcre += any;
    }
  }
  std::cout << pcre << " PCRE subsignatures in " << lines_with_pcre << " lines compile (" << jit
            << " with JIT)\n";
  EXPECT_GE(pcre, 364u); // main.ldb alone holds 364 (shared data README)
}

} // namespace
} // namespace vg
