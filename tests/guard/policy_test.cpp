// Unit tests for the policy parser (TOML subset): full policy, round trip, and every error path.
#include "common/error.hpp"
#include "guard/policy.hpp"

#include <gtest/gtest.h>

using namespace vg::guard;

namespace {
const char *kPolicy = R"(# test policy
[guard]
mode = "fanotify"
action = "deny+stop"   # stop, do not kill
journal = "/tmp/j"
journal_versions = 5
syslog = false
exempt_neighbours = true
signatures = ["/var/lib/clamav/main.hdb", '/srv/db']

[[asset]]
path = "/home/a/.baresip/contacts"
format = "baresip-contacts"
owner = "baresip"
protect_directory = true

[[asset]]
path = '/home/a/.baresip/accounts'
format = "opaque"
secret = true

[[trusted]]
path = "/usr/bin/baresip"
sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
app = "baresip"
uid = 1000
)";

std::string error_of(const std::string &text) {
  try {
    parse_policy(text, "p.toml");
  } catch (const vg::Error &e) {
    return e.what();
  }
  return "";
}
} // namespace

TEST(Policy, ParsesEverything) {
  Policy p = parse_policy(kPolicy, "p.toml");
  EXPECT_EQ(p.mode, "fanotify");
  EXPECT_EQ(p.action, Action::deny_stop);
  EXPECT_EQ(p.journal, "/tmp/j");
  EXPECT_EQ(p.journal_versions, 5u);
  EXPECT_FALSE(p.syslog);
  EXPECT_TRUE(p.exempt_neighbours);
  EXPECT_FALSE(parse_policy("[guard]\n", "d.toml").exempt_neighbours); // off unless asked for
  EXPECT_EQ(p.signatures, (std::vector<std::string>{"/var/lib/clamav/main.hdb", "/srv/db"}));
  ASSERT_EQ(p.assets.size(), 2u);
  EXPECT_EQ(p.assets[0].format, AssetFormat::baresip_contacts);
  EXPECT_TRUE(p.assets[0].protect_directory);
  EXPECT_TRUE(p.assets[1].secret);
  EXPECT_EQ(p.assets[1].path, "/home/a/.baresip/accounts");
  ASSERT_EQ(p.trusted.size(), 1u);
  EXPECT_EQ(p.trusted[0].uid, 1000u);
  EXPECT_EQ(p.trusted[0].app, "baresip");
}

TEST(Policy, RoundTripsThroughToToml) {
  Policy p = parse_policy(kPolicy, "p.toml");
  Policy q = parse_policy(p.to_toml(), "again.toml");
  EXPECT_EQ(q.to_toml(), p.to_toml());
  EXPECT_EQ(q.assets.size(), 2u);
  EXPECT_EQ(q.trusted[0].sha256, p.trusted[0].sha256);
  EXPECT_EQ(q.signatures, p.signatures);
  EXPECT_TRUE(q.exempt_neighbours);
}

TEST(Policy, ErrorsNameTheLineAndReason) {
  EXPECT_EQ(error_of("[guard]\nmode = \"strict\"\n"),
            "p.toml:2: mode must be auto, bpf-lsm or fanotify, got 'strict'");
  EXPECT_EQ(error_of("[[asset]]\npath = \"rel/path\"\nformat = \"opaque\"\n"),
            "p.toml:2: 'path' must be an absolute path, got 'rel/path'");
  EXPECT_EQ(error_of("[[asset]]\npath = \"/x\"\nformat = \"bogus\"\n").substr(0, 35),
            "p.toml:3: unknown format 'bogus' (k");
  EXPECT_EQ(error_of("[[trusted]]\npath = \"/x\"\nsha256 = \"abc\"\n"),
            "p.toml:3: sha256 must be 64 lowercase hex digits, got 'abc'");
  EXPECT_EQ(error_of("[guard]\nsyslog = 1\n"), "p.toml:2: 'syslog' must be true or false");
  EXPECT_EQ(error_of("[guard]\nmode = \"auto\nx\n"),
            "p.toml:2: unterminated string (strings must end on the line they start)");
  EXPECT_EQ(error_of("[guard]\nmode = \"auto\"\nmode = \"auto\"\n"),
            "p.toml:3: key 'mode' is set twice in the same table");
  EXPECT_EQ(error_of("[nope]\n"),
            "p.toml:1: unknown table 'nope' (known: [guard], [[asset]], [[trusted]])");
  EXPECT_EQ(error_of("mode = \"auto\"\n"),
            "p.toml:1: keys must be inside [guard], [[asset]] or [[trusted]]");
  EXPECT_EQ(error_of("[[asset]]\nformat = \"opaque\"\n"), "p.toml:1: [[asset]] needs 'path'");
  EXPECT_EQ(error_of("[guard]\njournal_versions = 0\n"),
            "p.toml:2: 'journal_versions' must be between 1 and 10000");
  EXPECT_EQ(error_of("[guard]\npid_file = \"/x\" junk\n"),
            "p.toml:2: unexpected text after the value of 'pid_file'");
  EXPECT_EQ(error_of("[guard]\nsignatures = \"/db\"\n"),
            "p.toml:2: 'signatures' must be an array of absolute paths");
  EXPECT_EQ(error_of("[guard]\nsignatures = [\"db\"]\n"),
            "p.toml:2: 'signatures' must be an array of absolute paths");
  EXPECT_EQ(error_of("[guard\n"), "p.toml:1: expected ']' to close the table header");
  EXPECT_EQ(error_of("[guard]\nfoo = 1\n").substr(0, 41),
            "p.toml:2: unknown key 'foo' in [guard] (k");
}
