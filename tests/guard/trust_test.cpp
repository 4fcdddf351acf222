// Unit tests for trust (path + SHA-256 + code mappings), process information and discovery.
#include "common/digest.hpp"
#include "common/mapped_file.hpp"
#include "guard/discover.hpp"
#include "guard/process_info.hpp"
#include "guard/trust.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace vg::guard;
namespace fs = std::filesystem;

namespace {
std::string sha256_of(const std::string &path) {
  auto m = vg::MappedFile::open(path);
  return vg::digest_bytes(m.bytes(), vg::hash_bit(vg::HashAlgo::sha256)).sha256->hex();
}
} // namespace

TEST(ProcessInfo, ReadsThisProcessAndItsParents) {
  auto me = read_process(getpid());
  ASSERT_TRUE(me);
  EXPECT_EQ(me->exe, fs::canonical("/proc/self/exe").string());
  EXPECT_EQ(me->ppid, getppid());
  EXPECT_FALSE(me->cmdline.empty());
  auto chain = parent_chain(getpid());
  ASSERT_FALSE(chain.empty());
  EXPECT_EQ(chain.front().pid, getpid());
  EXPECT_EQ(thread_group_of(getpid()), getpid());
  EXPECT_FALSE(read_process(0x3fffffff));
}

TEST(Trust, PathDigestAndUser) {
  auto me = read_process(getpid());
  ASSERT_TRUE(me);
  Policy p;
  ExecutableDigests digests;
  TrustJudge judge(p, digests);
  EXPECT_FALSE(judge.judge(*me).trusted);
  EXPECT_EQ(judge.judge(*me).reason, "executable not in the policy's trusted writers");
  p.trusted.push_back({me->exe, std::string(64, '0'), "baresip", std::nullopt, 0});
  EXPECT_EQ(judge.judge(*me).reason, "executable's SHA-256 differs from the policy's");
  p.trusted.back().sha256 = sha256_of(me->exe);
  p.trusted.back().uid = me->euid + 1;
  EXPECT_NE(judge.judge(*me).reason.find("policy trusts uid"), std::string::npos);
  p.trusted.back().uid = me->euid;
  auto v = judge.judge(*me);
  std::string bad = untrusted_code_mapping(getpid());
  if (bad.empty()) {
    EXPECT_TRUE(v.trusted) << v.reason;
    AssetRule baresip{"/x", AssetFormat::opaque, "baresip", false, false, 0};
    AssetRule jami{"/y", AssetFormat::opaque, "jami", false, false, 0};
    EXPECT_TRUE(TrustJudge::covers(v, baresip));
    EXPECT_FALSE(TrustJudge::covers(v, jami));
  } else {
    // This test binary maps code from a file that is not root-owned or is writable by others.
    EXPECT_FALSE(v.trusted);
    EXPECT_NE(v.reason.find("maps code"), std::string::npos);
  }
}

TEST(Discover, FindsSoftphoneFilesInAHome) {
  char tmpl[] = "/tmp/vg-discover-XXXXXX";
  fs::path home = mkdtemp(tmpl);
  fs::create_directories(home / ".baresip");
  fs::create_directories(home / ".local/share/jami/acc1/profiles");
  fs::create_directories(home / ".twinkle");
  std::ofstream(home / ".baresip/contacts") << "\"Bank\" <sip:1@x>\n";
  std::ofstream(home / ".baresip/accounts") << "<sip:a@x>\n";
  std::ofstream(home / ".local/share/jami/acc1/profiles/MTIzNDU2Nw==.vcf")
      << "BEGIN:VCARD\nEND:VCARD\n";
  std::ofstream(home / ".twinkle/twinkle.ab") << "Bank|||1@x|\n";
  fs::path bin = home / "bin";
  fs::create_directories(bin);
  fs::copy_file("/proc/self/exe", bin / "baresip");
  auto r = discover({home.string()}, {bin.string()});
  std::map<std::string, AssetRule> by_path;
  for (const auto &a : r.policy.assets)
    by_path[a.path] = a;
  EXPECT_EQ(by_path.size(), 4u);
  EXPECT_EQ(by_path.at((home / ".baresip/contacts").string()).format,
            AssetFormat::baresip_contacts);
  EXPECT_TRUE(by_path.at((home / ".baresip/accounts").string()).secret);
  EXPECT_TRUE(by_path.contains((home / ".local/share/jami/acc1/profiles/*.vcf").string()));
  EXPECT_TRUE(by_path.contains((home / ".twinkle/twinkle.ab").string()));
  ASSERT_EQ(r.policy.trusted.size(), 1u);
  EXPECT_EQ(r.policy.trusted[0].app, "baresip");
  EXPECT_EQ(r.policy.trusted[0].sha256, sha256_of((bin / "baresip").string()));
  // The written policy parses back.
  EXPECT_EQ(parse_policy(r.policy.to_toml(), "p").assets.size(), 4u);
  fs::remove_all(home);
}
