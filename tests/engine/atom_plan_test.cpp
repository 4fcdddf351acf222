// The atom plan: its bytes round-trip and every damaged or foreign plan is refused with its reason;
// an engine built with the plan from the compiled cache has the tiers, literals and detections
// (names and offsets) of one that chose its atoms itself, on real signatures; a bad plan entry is
// noticed once, rebuilt and rewritten; without a set key nothing is cached.
#include "common/error.hpp"
#include "engine/atom_plan.hpp"
#include "engine/compiled_cache.hpp"
#include "engine/detection_list.hpp"
#include "engine/engine.hpp"
#include "signatures/database_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vg {
namespace {

namespace fs = std::filesystem;

std::vector<PlannedAtom> sample_plan() {
  PlannedAtom a;
  a.entry = 0;
  a.length = 5;
  std::copy_n("MZ\x90\x01\x02", 5, a.bytes.begin());
  a.min_distance = 2;
  a.max_distance = 7;
  a.checks[0] = AtomCheck{-2, 0x4d, 0xff};
  a.checks[1] = AtomCheck{9, 0x40, 0xdf};
  a.check_count = 2;
  PlannedAtom b;
  b.entry = 0x80000003u;
  b.length = 8;
  std::copy_n("softphon", 8, b.bytes.begin());
  b.caseless = true;
  b.min_distance = 0;
  b.max_distance = Gap::kUnbounded;
  PlannedAtom none; // a pattern without a usable atom
  none.entry = 0x80000004u;
  return {a, b, none};
}

std::vector<std::uint32_t> ids_of(const std::vector<PlannedAtom> &plan) {
  std::vector<std::uint32_t> ids;
  for (const auto &a : plan)
    ids.push_back(a.entry);
  return ids;
}

// read_atom_plan's error reason for `bytes` read against `ids` ("" if it is accepted).
std::string refusal(const std::vector<std::uint8_t> &bytes, const std::vector<std::uint32_t> &ids) {
  try {
    read_atom_plan(bytes, ids, "plan.hsdb");
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), "plan.hsdb");
    return e.reason();
  }
  return "";
}

TEST(AtomPlan, RoundTripsAndIsDeterministic) {
  const auto plan = sample_plan();
  const auto bytes = write_atom_plan(plan);
  EXPECT_EQ(read_atom_plan(bytes, ids_of(plan), "p"), plan);
  EXPECT_EQ(write_atom_plan(read_atom_plan(bytes, ids_of(plan), "p")), bytes);
  EXPECT_EQ(read_atom_plan(write_atom_plan({}), {}, "p").size(), 0u);
}

TEST(AtomPlan, RefusesDamagedAndForeignPlansWithTheReason) {
  const auto plan = sample_plan();
  const auto ids = ids_of(plan);
  const auto good = write_atom_plan(plan);
  const std::size_t record = (good.size() - 16) / plan.size(); // header 16 bytes
  auto damaged = [&](std::size_t at, std::uint8_t value) {
    auto b = good;
    b[at] = value;
    return b;
  };
  EXPECT_NE(refusal({}, ids).find("not an atom plan"), std::string::npos);
  EXPECT_NE(refusal(damaged(0, 'W'), ids).find("not an atom plan"), std::string::npos);
  EXPECT_NE(refusal(damaged(8, 9), ids).find("version 9"), std::string::npos);
  // For a build with other patterns: another count, or another pattern at a place.
  EXPECT_NE(refusal(good, {0, 0x80000003u}).find("for 3 patterns, the build has 2"),
            std::string::npos);
  EXPECT_NE(refusal(good, {0, 0x80000002u, 0x80000004u}).find("record 1 is for pattern"),
            std::string::npos);
  auto truncated = good;
  truncated.pop_back();
  EXPECT_NE(refusal(truncated, ids).find("bytes, expected"), std::string::npos);
  // Record fields (record 0 starts at 16: entry 4, bytes 8, length, flags, checks, zero, ...).
  const std::size_t r0 = 16, r2 = 16 + 2 * record;
  EXPECT_NE(refusal(damaged(r0 + 12, 9), ids).find("atom length 9"), std::string::npos);
  EXPECT_NE(refusal(damaged(r0 + 13, 2), ids).find("unknown flags"), std::string::npos);
  EXPECT_NE(refusal(damaged(r0 + 15, 1), ids).find("unknown flags"), std::string::npos);
  EXPECT_NE(refusal(damaged(r0 + 4 + 6, 1), ids).find("after the atom's end"), std::string::npos);
  EXPECT_NE(refusal(damaged(r0 + 4, 0), ids).find("NUL"), std::string::npos);
  EXPECT_NE(refusal(damaged(r0 + 14, 4), ids).find("check count 4"), std::string::npos);
  EXPECT_NE(refusal(damaged(r0 + 14, 1), ids).find("unused checks"), std::string::npos);
  EXPECT_NE(refusal(damaged(r0 + 16, 200), ids).find("over max_distance"), std::string::npos);
  EXPECT_NE(refusal(damaged(r2 + 13, 1), ids).find("without an atom"), std::string::npos);
  EXPECT_EQ(refusal(good, ids), "");
}

TEST(AtomPlan, KeyDependsOnTheSetKey) {
  CacheKey a{}, b{};
  b[31] = 1;
  EXPECT_NE(atom_plan_key(a), atom_plan_key(b));
  EXPECT_EQ(atom_plan_key(a), atom_plan_key(a));
  EXPECT_NE(atom_plan_key(a), a);
}

class AtomPlanCacheTest : public ::testing::Test {
protected:
  fs::path dir;
  std::vector<std::string> notices;
  std::vector<std::string> dbs;
  std::vector<fs::path> files;
  CacheKey set_key{};

  void SetUp() override {
    const fs::path c = fs::path(VOXGUARD_SHARED_DATA) / "clamav";
    dbs = {(c / "unittests/pe_allmatch/alert-sigs").string(), (c / "rfxn-lmd/rfxn.ndb").string(),
           (c / "official-talos-subset/daily.ndb").string(), (c / "ditekshen/clamav.ldb").string()};
    for (const auto &d : dbs)
      if (!fs::exists(d))
        GTEST_SKIP() << "shared data missing: " << d;
    files = {c / "unittests/pe_allmatch/test.exe"};
    for (const auto &e : fs::directory_iterator(c / "unittests/other_scanfiles"))
      if (e.is_regular_file())
        files.push_back(e.path());
    char tmpl[] = "/tmp/vg-atom-plan-test-XXXXXX";
    dir = fs::path(::mkdtemp(tmpl)) / "cache";
    set_key.fill(0x5a);
  }
  void TearDown() override {
    set_compiled_cache(nullptr);
    if (!dir.empty())
      fs::remove_all(dir.parent_path());
  }
  std::shared_ptr<const CompiledCache> use_cache() {
    auto c = std::make_shared<const CompiledCache>(
        dir, CompiledCache::kDefaultMaxBytes,
        [this](const std::string &line) { notices.push_back(line); });
    set_compiled_cache(c);
    return c;
  }
  std::shared_ptr<const Engine> build(std::optional<CacheKey> key) {
    return Engine::build(load_databases(dbs), EngineOptions{.timing = false, .set_key = key});
  }
  std::vector<std::string> detections(const Engine &engine) const {
    return detection_list(engine, files);
  }
  static void expect_same_tiers(const Engine &a, const Engine &b) {
    const auto &x = a.stats(), &y = b.stats();
    EXPECT_EQ(x.prefiltered, y.prefiltered);
    EXPECT_EQ(x.anchored, y.anchored);
    EXPECT_EQ(x.weak, y.weak);
    EXPECT_EQ(x.subsigs_prefiltered, y.subsigs_prefiltered);
    EXPECT_EQ(x.subsigs_anchored, y.subsigs_anchored);
    EXPECT_EQ(x.subsigs_weak, y.subsigs_weak);
    EXPECT_EQ(x.literals, y.literals);
    EXPECT_EQ(x.distinct_subsigs, y.distinct_subsigs);
  }
  fs::path plan_file() const { return CompiledCache(dir).path_for(atom_plan_key(set_key)); }
};

TEST_F(AtomPlanCacheTest, WarmBuildReadsThePlanAndDetectsWhatAColdBuildDetects) {
  set_compiled_cache(nullptr);
  auto reference = build(set_key);
  EXPECT_FALSE(reference->stats().atoms_from_cache);
  const auto expected = detections(*reference);
  ASSERT_GE(expected.size(), 10u) << "the real set should fire on test.exe with allmatch";

  auto cold = use_cache();
  auto first = build(set_key);
  EXPECT_FALSE(first->stats().atoms_from_cache);
  EXPECT_TRUE(fs::exists(plan_file()));
  EXPECT_EQ(detections(*first), expected);

  auto warm = use_cache();
  auto second = build(set_key);
  EXPECT_TRUE(second->stats().atoms_from_cache);
  EXPECT_TRUE(notices.empty()) << notices.front();
  EXPECT_EQ(warm->stats().rejected, 0u);
  EXPECT_EQ(warm->stats().stored, 0u);
  expect_same_tiers(*second, *reference);
  EXPECT_EQ(detections(*second), expected);

  // The plan read back is the plan a build chooses (entry for entry).
  auto entry = warm->load(atom_plan_key(set_key));
  ASSERT_TRUE(entry);
  const auto bytes = std::vector<std::uint8_t>(entry->payload().begin(), entry->payload().end());
  set_compiled_cache(nullptr);
  use_cache();
  fs::remove(plan_file());
  build(set_key);
  auto again = CompiledCache(dir).load(atom_plan_key(set_key));
  ASSERT_TRUE(again);
  EXPECT_TRUE(
      std::equal(bytes.begin(), bytes.end(), again->payload().begin(), again->payload().end()));
}

TEST_F(AtomPlanCacheTest, WithoutASetKeyNoPlanIsCached) {
  use_cache();
  build(std::nullopt);
  auto second = build(std::nullopt);
  EXPECT_FALSE(second->stats().atoms_from_cache);
  EXPECT_FALSE(fs::exists(plan_file()));
}

TEST_F(AtomPlanCacheTest, BadPlanEntriesAreNoticedOnceRebuiltAndRewritten) {
  set_compiled_cache(nullptr);
  const auto expected = detections(*build(set_key));
  use_cache();
  build(set_key);
  auto stored = CompiledCache(dir).load(atom_plan_key(set_key));
  ASSERT_TRUE(stored);
  const std::vector<std::uint8_t> good(stored->payload().begin(), stored->payload().end());
  ASSERT_GT(good.size(), 16u + 36u);

  struct Case {
    std::vector<std::uint8_t> payload;
    std::string reason;
  };
  std::vector<Case> cases;
  cases.push_back({std::vector<std::uint8_t>(good.begin(), good.end() - 36), "bytes, expected"});
  auto foreign = good;
  foreign[16] ^= 1; // record 0 names another pattern
  cases.push_back({foreign, "record 0 is for pattern"});
  auto nul = good;
  nul[16 + 4] = 0;
  nul[16 + 12] = nul[16 + 12] ? nul[16 + 12] : 1;
  cases.push_back({nul, "record 0:"});
  cases.push_back({{'V', 'X', 'G'}, "not an atom plan"});
  for (const auto &c : cases) {
    SCOPED_TRACE(c.reason);
    // A well-formed cache file (right key, length, digest) whose payload is a bad plan.
    {
      std::ofstream out(plan_file(), std::ios::binary | std::ios::trunc);
      auto file = make_cache_file(atom_plan_key(set_key), c.payload);
      out.write(reinterpret_cast<const char *>(file.data()),
                static_cast<std::streamsize>(file.size()));
    }
    notices.clear();
    auto cache = use_cache();
    auto e = build(set_key);
    EXPECT_FALSE(e->stats().atoms_from_cache);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].find(plan_file().string()), std::string::npos) << notices[0];
    EXPECT_NE(notices[0].find(c.reason), std::string::npos) << notices[0];
    EXPECT_EQ(cache->stats().rejected, 1u);
    EXPECT_EQ(detections(*e), expected);
    // Rewritten: the next build reads it silently.
    notices.clear();
    use_cache();
    auto next = build(set_key);
    EXPECT_TRUE(next->stats().atoms_from_cache);
    EXPECT_TRUE(notices.empty()) << notices.front();
    EXPECT_EQ(detections(*next), expected);
  }
}

TEST_F(AtomPlanCacheTest, APlanForAnotherSetUnderTheSameKeyIsRefused) {
  use_cache();
  // The plan of a smaller set stored under this key (a wrong key given by a caller).
  Engine::build(load_databases({dbs[0]}), EngineOptions{.timing = false, .set_key = set_key});
  notices.clear();
  use_cache();
  set_compiled_cache(nullptr);
  const auto expected = detections(*build(std::nullopt));
  use_cache();
  auto e = build(set_key);
  EXPECT_FALSE(e->stats().atoms_from_cache);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("the build has"), std::string::npos) << notices[0];
  EXPECT_EQ(detections(*e), expected);
}

} // namespace
} // namespace vg
