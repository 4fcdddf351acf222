// RFC 4475 torture tests: every message of ../shared/data/sip/rfc4475 gets the verdict INDEX.tsv
// asks for; invalid ones with a reason naming the fault, semantic ones with the finding that names
// it.
#include "voice/sip_message.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

const std::string kDir = std::string(VOXGUARD_SHARED_DATA) + "/sip/rfc4475";

std::string read(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Row {
  std::string file, section, cls, title;
};

std::vector<Row> index_rows() {
  std::vector<Row> rows;
  std::ifstream f(kDir + "/INDEX.tsv");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    Row r;
    std::getline(ls, r.file, '\t');
    std::getline(ls, r.section, '\t');
    std::getline(ls, r.cls, '\t');
    std::getline(ls, r.title, '\t');
    if (!r.file.empty())
      rows.push_back(r);
  }
  return rows;
}

// what the rejection reason must mention for each invalid message
const std::map<std::string, std::vector<std::string>> kInvalidReason = {
    {"badinv01.dat", {"Via", "empty parameter"}},
    {"clerr.dat", {"Content-Length", "9999"}},
    {"ncl.dat", {"Content-Length", "negative"}},
    {"scalar02.dat", {"CSeq", "overlarge"}},
    {"scalarlg.dat", {"CSeq", "overlarge"}},
    {"quotbal.dat", {"To", "unterminated quoted string"}},
    {"ltgtruri.dat", {"Request-URI", "<>"}},
    {"lwsruri.dat", {"Request-URI", "whitespace"}},
    {"lwsstart.dat", {"Request-Line", "multiple SP"}},
    {"trws.dat", {"Request-Line", "end of the Request-Line"}},
    {"escruri.dat", {"Request-URI", "header fields"}},
    {"baddate.dat", {"Date", "GMT"}},
    {"regbadct.dat", {"Contact", "enclosed in <>"}},
    {"badaspec.dat", {"To", "whitespace"}},
    {"baddn.dat", {"From", "display name"}},
    {"badvers.dat", {"SIP version", "SIP/7.0"}},
    {"mismatch01.dat", {"CSeq", "does not match"}},
    {"mismatch02.dat", {"CSeq", "does not match"}},
    {"bigcode.dat", {"Status-Code", "3 digits"}},
};

// the finding each semantic message must carry
const std::map<std::string, std::string> kSemanticFinding = {
    {"badbranch.dat", "sip.via-empty-branch"},
    {"insuf.dat", "sip.missing-header"},
    {"unkscm.dat", "sip.non-sip-scheme"},
    {"novelsc.dat", "sip.non-sip-scheme"},
    {"unksm2.dat", "sip.non-sip-scheme"},
    {"bext01.dat", "sip.unsupported-extension"},
    {"invut.dat", "sip.unknown-body-type"},
    {"regaut01.dat", "sip.unknown-auth-scheme"},
    {"multi01.dat", "sip.duplicate-header"},
    {"mcl01.dat", "sip.conflicting-content-length"},
    {"bcast.dat", "sip.broadcast-via"},
    {"zeromf.dat", "sip.max-forwards-zero"},
    {"cparam01.dat", "sip.contact-param-outside-brackets"},
    {"cparam02.dat", "sip.unknown-uri-param"},
    {"regescrt.dat", "sip.uri-headers"},
    {"sdp01.dat", "sip.accept-excludes-sdp"},
    {"inv2543.dat", "sip.via-no-branch"},
};

bool has_finding(const vg::voice::SipMessage &m, const std::string &code) {
  for (const auto &f : m.findings)
    if (f.code == code)
      return true;
  return false;
}

class Rfc4475 : public ::testing::Test {
protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDir + "/INDEX.tsv"))
      GTEST_SKIP() << "shared test data missing: " << kDir;
  }
};

TEST_F(Rfc4475, EveryMessageGetsTheExpectedVerdict) {
  auto rows = index_rows();
  ASSERT_EQ(rows.size(), 49u);
  std::size_t valid = 0, invalid = 0, semantic = 0;
  for (const auto &r : rows) {
    SCOPED_TRACE(r.file + " (" + r.title + ")");
    auto v = vg::voice::inspect_sip_message(read(kDir + "/" + r.file));
    if (r.cls == "valid") {
      ASSERT_TRUE(v.parsed()) << v.reason;
      // legal messages may only carry notes and Snort-style length advisories
      for (const auto &f : v.message->findings)
        EXPECT_TRUE(f.severity == vg::voice::Severity::info || f.code == "sip.limit")
            << f.code << ": " << f.message;
      ++valid;
    } else if (r.cls == "invalid") {
      ASSERT_FALSE(v.parsed()) << "accepted an invalid message";
      auto it = kInvalidReason.find(r.file);
      ASSERT_NE(it, kInvalidReason.end());
      for (const auto &word : it->second)
        EXPECT_NE(v.reason.find(word), std::string::npos)
            << "reason '" << v.reason << "' does not mention '" << word << "'";
      ++invalid;
    } else {
      ASSERT_EQ(r.cls, "semantic");
      ASSERT_TRUE(v.parsed()) << v.reason;
      auto it = kSemanticFinding.find(r.file);
      ASSERT_NE(it, kSemanticFinding.end());
      EXPECT_TRUE(has_finding(*v.message, it->second)) << "missing finding " << it->second;
      ++semantic;
    }
  }
  EXPECT_EQ(valid, 13u);
  EXPECT_EQ(invalid, 19u);
  EXPECT_EQ(semantic, 17u);
}

TEST_F(Rfc4475, ValidMessagesExposeTheirFields) {
  auto v = vg::voice::inspect_sip_message(read(kDir + "/wsinv.dat"));
  ASSERT_TRUE(v.parsed()) << v.reason;
  const auto &m = *v.message;
  EXPECT_EQ(m.method, "INVITE");
  EXPECT_EQ(m.request_uri.user, "vivekg");
  EXPECT_EQ(m.request_uri.host, "chair-dnrc.example.com");
  EXPECT_EQ(m.vias.size(), 3u);
  EXPECT_EQ(m.vias[1].transport, "TCP");
  EXPECT_EQ(m.vias[2].param("branch")->value, "z9hG4bK30239");
  EXPECT_EQ(*m.max_forwards, 68u);
  EXPECT_EQ(m.cseq->number, 9u);
  EXPECT_EQ(m.from->display_name, "J Rosenberg \\\"");
  EXPECT_EQ(m.contacts.at(0).display_name, "Quoted string \"\"");
  ASSERT_TRUE(m.sdp.has_value());
  EXPECT_EQ(m.sdp->media.size(), 2u);
  EXPECT_EQ(m.sdp->media[0].port, 49217);

  auto d = vg::voice::inspect_sip_message(read(kDir + "/dblreq.dat"));
  ASSERT_TRUE(d.parsed());
  EXPECT_EQ(d.message->method, "REGISTER");
  EXPECT_GT(d.message->trailing_bytes, 400u);
}

} // namespace
