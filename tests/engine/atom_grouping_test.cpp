// Grouping atoms into prefilter literals: atoms that differ only in their last bits, or only in
// being caseless, stay distinct literals, so that each signature is found through its own atom.
#include "engine/engine.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace vg {
namespace {

std::vector<std::string> names_found(const Engine &engine, std::string_view data) {
  Engine::Scratch scratch;
  auto outcome = engine.scan({reinterpret_cast<const std::uint8_t *>(data.data()), data.size()},
                             true, scratch);
  std::vector<std::string> names;
  for (const auto &d : outcome.detections)
    names.emplace_back(d.name);
  std::sort(names.begin(), names.end());
  return names;
}

// Binary data (text would also be scanned normalised to lower case; clamscan 1.4.6 agrees that
// this prefix makes it binary: an exact "abcdefgh" does not match "ABCDEFGH" behind it).
std::string binary(std::string_view text) {
  std::string data("\x89\xfe\x00\x00\xc3\x90\x00\x00\x00\x00\xe8\x12 ", 13);
  data += text;
  return data;
}

TEST(AtomGrouping, NearlyEqualAtomsStayDistinctLiterals) {
  SignatureSet set;
  // "abcdefgh" and "abcdefgi" differ in the low bits of their last byte; the ::i subsignature has
  // the first one's bytes as a caseless atom.
  load_database_text(set, "g.ndb",
                     "Body.H:0:*:6162636465666768\n"
                     "Body.I:0:*:6162636465666769\n",
                     true);
  load_database_text(set, "g.ldb", "Lsig.Caseless;Target:0;0;6162636465666768::i\n", true);
  auto engine = Engine::build(std::move(set));
  EXPECT_EQ(engine->stats().literals, 3u);
  EXPECT_EQ(engine->stats().prefiltered, 2u);
  EXPECT_EQ(engine->stats().subsigs_prefiltered, 1u);
  EXPECT_EQ(names_found(*engine, binary("xx ABCDEFGH yy abcdefgi zz")),
            (std::vector<std::string>{"Body.I", "Lsig.Caseless"}));
  EXPECT_EQ(names_found(*engine, binary("abcdefgh")),
            (std::vector<std::string>{"Body.H", "Lsig.Caseless"}));
  EXPECT_EQ(names_found(*engine, binary("abcdefg ABCDEFGI")), std::vector<std::string>{});
}

} // namespace
} // namespace vg
