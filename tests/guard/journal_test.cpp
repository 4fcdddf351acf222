// Unit tests for the journal: versions, dedup, bounded history, restore with metadata, corruption.
#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "common/temp_dir.hpp"
#include "guard/journal.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace vg::guard;
namespace fs = std::filesystem;

namespace {
using vg::testing::TempDir;
std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}
std::string read(const fs::path &p) {
  return vg::read_text_file(p.string());
}
} // namespace

TEST(Journal, RecordsDeduplicatesAndRestores) {
  TempDir t;
  Journal j((t.path / "journal").string(), 3);
  std::string asset = (t.path / "home/.baresip/contacts").string();
  FileMeta meta;
  meta.mode = 0640;
  meta.uid = getuid();
  meta.gid = getgid();
  meta.mtime_ns = 1'700'000'000'123'456'789;
  auto v1 = j.record(asset, span_of("one"), meta, "initial");
  EXPECT_EQ(v1.number, 1u);
  EXPECT_EQ(j.record(asset, span_of("one"), meta, "again").number, 1u); // unchanged → same version
  auto v2 = j.record(asset, span_of("two"), meta, "baresip");
  EXPECT_EQ(v2.number, 2u);
  EXPECT_EQ(j.history(asset).size(), 2u);
  // The asset's folder was removed altogether: restore recreates it with the saved metadata.
  j.restore(asset, v1);
  EXPECT_EQ(read(asset), "one");
  struct stat st {};
  ASSERT_EQ(stat(asset.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'700'000'000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123'456'789);
  j.restore(asset, *j.latest(asset));
  EXPECT_EQ(read(asset), "two");
}

TEST(Journal, HistoryIsBoundedAndObjectsCollected) {
  TempDir t;
  Journal j((t.path / "journal").string(), 3);
  std::string asset = (t.path / "a").string();
  for (int i = 0; i < 6; ++i)
    j.record(asset, span_of("v" + std::to_string(i)), FileMeta{}, "w");
  auto h = j.history(asset);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.front().number, 4u);
  EXPECT_EQ(h.back().number, 6u);
  std::size_t objects = 0;
  for (const auto &e : fs::directory_iterator(t.path / "journal/objects"))
    objects += e.path().filename().string().starts_with(".") ? 0 : 1;
  EXPECT_EQ(objects, 3u);
  auto content = j.content(h.front());
  EXPECT_EQ(std::string(content.begin(), content.end()), "v3");
}

TEST(Journal, CorruptObjectIsReported) {
  TempDir t;
  Journal j((t.path / "journal").string());
  auto v = j.record((t.path / "a").string(), span_of("good"), FileMeta{}, "w");
  {
    std::ofstream out(t.path / "journal/objects" / v.sha256, std::ios::trunc);
    out << "evil";
  }
  try {
    j.content(v);
    FAIL() << "corruption not detected";
  } catch (const vg::Error &e) {
    EXPECT_NE(std::string(e.what()).find("does not match its digest"), std::string::npos);
  }
}

TEST(Journal, UntrustedFloodNeverEvictsTheLastGoodVersion) {
  TempDir t;
  Journal j((t.path / "journal").string(), 3);
  std::string asset = (t.path / "a").string();
  j.record(asset, span_of("good"), FileMeta{}, "initial");
  for (int i = 0; i < 10; ++i)
    j.record(asset, span_of("evil" + std::to_string(i)), FileMeta{}, "attacker", false);
  auto h = j.history(asset);
  EXPECT_EQ(h.size(), 3u);
  auto good = j.last_good(asset);
  ASSERT_TRUE(good);
  auto c = j.content(*good);
  EXPECT_EQ(std::string(c.begin(), c.end()), "good");
  EXPECT_FALSE(j.latest(asset)->good);
}
