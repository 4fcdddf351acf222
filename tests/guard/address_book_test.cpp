// Unit tests for the address-book parsers: real samples (shared data), the Bank tampering diff,
// and bad input (clear error naming the input, never a crash).
#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "guard/assets/asset_format.hpp"
#include "guard/assets/baresip_contacts.hpp"
#include "guard/assets/jami_profile.hpp"
#include "guard/assets/linphonerc.hpp"
#include "guard/assets/twinkle_ab.hpp"
#include "guard/assets/vcard.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

using namespace vg::guard;
namespace fs = std::filesystem;

namespace {
const std::string kBooks = std::string(VOXGUARD_SHARED_DATA) + "/addressbooks";
const std::string kE2E = std::string(VOXGUARD_SOURCE_DIR) + "/../shared/docs/voip-e2e";

std::vector<std::uint8_t> bytes_of(const std::string &path) {
  auto m = vg::MappedFile::open(path);
  return {m.bytes().begin(), m.bytes().end()};
}
std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}
#define NEED(path)                                                                                 \
  if (!fs::exists(path))                                                                           \
  GTEST_SKIP() << "shared data missing: " << (path)

std::string error_of(AssetFormat f, std::string_view text, const std::string &name) {
  try {
    parse_asset(f, span_of(text), name);
  } catch (const vg::Error &e) {
    return e.what();
  }
  return "";
}
} // namespace

TEST(BaresipContacts, ReadsTheRealSample) {
  NEED(kBooks + "/baresip/contacts");
  auto book = parse_asset(AssetFormat::baresip_contacts, bytes_of(kBooks + "/baresip/contacts"),
                          "contacts");
  ASSERT_EQ(book.size(), 3u);
  EXPECT_EQ(book.contacts.at("Bank"), std::set<std::string>{"sip:1234567@127.0.0.1:5070"});
  EXPECT_EQ(book.contacts.at("Alice"), std::set<std::string>{"sip:2223344@127.0.0.1:5072"});
}

TEST(BaresipContacts, TamperedBankReadsAsOneChange) {
  NEED(kE2E + "/contacts.tampered");
  auto changes =
      describe_change(AssetFormat::baresip_contacts, "contacts", bytes_of(kE2E + "/contacts.orig"),
                      bytes_of(kE2E + "/contacts.tampered"));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0],
            "contact \"Bank\": sip:1234567@127.0.0.1:5070 \u2192 sip:9876543@127.0.0.1:5071");
}

TEST(BaresipContacts, BareUriAndUnquotedNames) {
  auto book = parse_baresip_contacts("sip:alice@example.org;presence=p2p\nBob <sip:bob@x>\n", "c");
  EXPECT_TRUE(book.contacts.contains("sip:alice@example.org"));
  EXPECT_EQ(book.contacts.at("Bob"), std::set<std::string>{"sip:bob@x"});
}

TEST(BaresipContacts, BadLinesNameFileAndLine) {
  EXPECT_EQ(error_of(AssetFormat::baresip_contacts, "# ok\n\"Bank\" <sip:1@x\n", "contacts"),
            "contacts:2: '<' without a closing '>'");
  EXPECT_EQ(error_of(AssetFormat::baresip_contacts, "\"Bank <sip:1@x>\n", "contacts"),
            "contacts:1: display name has no closing quote");
  EXPECT_EQ(error_of(AssetFormat::baresip_contacts, "\"Bank\" <nocolon>\n", "c"),
            "c:1: URI 'nocolon' has no scheme (expected sip:, sips:, tel:...)");
  EXPECT_NE(error_of(AssetFormat::baresip_contacts, std::string("a\0b", 3), "c").find("NUL"),
            std::string::npos);
}

TEST(Linphonerc, FriendSectionsOfTheRealSample) {
  NEED(kBooks + "/linphone/linphonerc.with-legacy-friends");
  auto book = parse_asset(AssetFormat::linphonerc,
                          bytes_of(kBooks + "/linphone/linphonerc.with-legacy-friends"), "rc");
  ASSERT_EQ(book.size(), 2u);
  EXPECT_EQ(book.contacts.at("Bank"), std::set<std::string>{"sip:1234567@127.0.0.1:5070"});
}

TEST(Linphonerc, Errors) {
  EXPECT_EQ(error_of(AssetFormat::linphonerc, "[friend_0]\npol=accept\n", "rc"),
            "rc:1: section [friend_0] has no url= line");
  EXPECT_EQ(error_of(AssetFormat::linphonerc, "[sip\n", "rc"),
            "rc:1: section header without a closing ']'");
  EXPECT_EQ(error_of(AssetFormat::linphonerc, "[sip]\njunk\n", "rc"),
            "rc:2: expected key=value or [section], got 'junk'");
}

TEST(LinphoneFriendsDb, RealDatabase) {
  NEED(kBooks + "/linphone/friends.db");
  auto book = parse_asset(AssetFormat::linphone_friends_db,
                          bytes_of(kBooks + "/linphone/friends.db"), "friends.db");
  ASSERT_EQ(book.size(), 1u);
  EXPECT_EQ(book.contacts.at("Bank"),
            (std::set<std::string>{"sip:1234567@127.0.0.1:5070", "123-45-67"}));
}

TEST(LinphoneFriendsDb, CorruptImagesAreRejected) {
  EXPECT_EQ(error_of(AssetFormat::linphone_friends_db, "not a database", "friends.db"),
            "friends.db: not an SQLite 3 database (bad header)");
  NEED(kBooks + "/linphone/friends.db");
  auto db = bytes_of(kBooks + "/linphone/friends.db");
  db.resize(db.size() / 2); // truncated
  std::string err = error_of(AssetFormat::linphone_friends_db,
                             std::string_view(reinterpret_cast<const char *>(db.data()), db.size()),
                             "friends.db");
  EXPECT_TRUE(err.starts_with("friends.db: ")) << err;
}

TEST(EdsContactsDb, RealDatabaseVcardAndPhoneList) {
  NEED(kBooks + "/eds/contacts.db");
  auto book = parse_asset(AssetFormat::eds_contacts_db, bytes_of(kBooks + "/eds/contacts.db"),
                          "contacts.db");
  ASSERT_EQ(book.size(), 1u);
  EXPECT_EQ(book.contacts.at("Bank"), std::set<std::string>{"123-45-67"});
}

TEST(JamiProfile, NumberIsTheFileName) {
  NEED(kBooks + "/jami/profiles/MTIzNDU2Nw==.vcf");
  std::string path = kBooks + "/jami/profiles/MTIzNDU2Nw==.vcf";
  auto book = parse_asset(AssetFormat::jami_profile, bytes_of(path), path);
  EXPECT_EQ(book.contacts.at("Bank"), std::set<std::string>{"1234567"});
  // The profile swap: same FN, other file name → the number changed.
  auto before = bytes_of(path);
  ContactBook swapped;
  add_jami_profile(swapped, "OTg3NjU0Mw==.vcf", "BEGIN:VCARD\nVERSION:2.1\nFN:Bank\nEND:VCARD\n",
                   "x");
  auto changes = diff_books(book, swapped);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].describe(), "contact \"Bank\": 1234567 \u2192 9876543");
  EXPECT_TRUE(changes[0].number_changed());
}

TEST(JamiProfile, BadNames) {
  ContactBook b;
  EXPECT_THROW(add_jami_profile(b, "not base64!.vcf", "BEGIN:VCARD\nEND:VCARD\n", "p"), vg::Error);
  EXPECT_THROW(add_jami_profile(b, "MTIz.txt", "BEGIN:VCARD\nEND:VCARD\n", "p"), vg::Error);
  EXPECT_EQ(base64_decode("MTIzNDU2Nw=="), "1234567");
  EXPECT_EQ(base64_decode("A"), std::nullopt);
}

TEST(Vcard, FoldingGroupsAndErrors) {
  auto cards =
      parse_vcards("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ba\r\n nk\r\nitem1.TEL;TYPE=WORK:123\r\n"
                   "END:VCARD\r\n",
                   "v");
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_EQ(cards[0].name, "Bank");
  EXPECT_EQ(cards[0].addresses, std::vector<std::string>{"123"});
  EXPECT_EQ(error_of(AssetFormat::vcard, "BEGIN:VCARD\nFN:x\n", "v.vcf"),
            "v.vcf: BEGIN:VCARD at line 1 has no END:VCARD (truncated card)");
  EXPECT_EQ(error_of(AssetFormat::vcard, "FN:x\n", "v.vcf"),
            "v.vcf:1: 'FN' outside BEGIN:VCARD/END:VCARD");
  EXPECT_EQ(error_of(AssetFormat::vcard, "BEGIN:VCARD\nnocolon\nEND:VCARD\n", "v.vcf"),
            "v.vcf:2: vCard line without ':' ('nocolon')");
}

TEST(TwinkleAb, RealSampleAndEscapes) {
  NEED(kBooks + "/twinkle/twinkle.ab");
  auto book = parse_asset(AssetFormat::twinkle_ab, bytes_of(kBooks + "/twinkle/twinkle.ab"), "ab");
  EXPECT_EQ(book.contacts.at("Bank"), std::set<std::string>{"1234567@127.0.0.1:5070"});
  EXPECT_EQ(book.contacts.at("Alice Smith"), std::set<std::string>{"sip:2223344@example.org"});
  auto esc = parse_twinkle_ab("\\#Hash\\|Pipe|||sip:1@x|r\n", "ab");
  EXPECT_TRUE(esc.contacts.contains("#Hash|Pipe"));
  EXPECT_EQ(error_of(AssetFormat::twinkle_ab, "a|b|c\n", "ab"),
            "ab:1: expected 5 '|'-separated fields "
            "(first_name|infix_name|last_name|sip_address|remark), got 3");
  EXPECT_EQ(error_of(AssetFormat::twinkle_ab, "Bank||||x\\", "ab"),
            "ab:1: line ends with a lone '\\'");
}

TEST(DescribeChange, OpaqueAndUnparsable) {
  auto d = describe_change(AssetFormat::opaque, "accounts", span_of("a"), span_of("b"));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].starts_with("content changed (sha256 ")) << d[0];
  d = describe_change(AssetFormat::baresip_contacts, "c", span_of("\"A\" <sip:1@x>\n"),
                      span_of("\"A\" <sip:1@x\n"));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].starts_with("new version does not parse (c:1: '<' without")) << d[0];
  EXPECT_TRUE(
      describe_change(AssetFormat::baresip_contacts, "c", span_of("x"), span_of("x")).empty());
  d = describe_change(AssetFormat::baresip_contacts, "c", span_of("\"A\" <sip:1@x>\n"),
                      span_of("\"A\" <sip:1@x>\n\"B\" <sip:2@x>\n"));
  EXPECT_EQ(d, std::vector<std::string>{"contact \"B\" added: sip:2@x"});
}

TEST(ChangesANumber, OnlyAnExistingContactsNumberCounts) {
  const char *book = "\"Alice\" <sip:2223344@x>\n\"Bank\" <sip:1234567@x>\n";
  auto f = AssetFormat::baresip_contacts;
  EXPECT_TRUE(changes_a_number(f, "c", span_of(book),
                               span_of("\"Alice\" <sip:2223344@x>\n\"Bank\" <sip:9876543@x>\n")));
  EXPECT_FALSE(changes_a_number(f, "c", span_of(book), span_of(book)));
  // a new contact: no existing number changed; a removed contact: its number is gone
  EXPECT_FALSE(changes_a_number(
      f, "c", span_of(book),
      span_of("\"Alice\" <sip:2223344@x>\n\"Bank\" <sip:1234567@x>\n\"Carol\" <sip:5@x>\n")));
  EXPECT_TRUE(changes_a_number(f, "c", span_of(book), span_of("\"Bank\" <sip:1234567@x>\n")));
  // a book that no longer parses cannot be vouched for
  EXPECT_TRUE(changes_a_number(f, "c", span_of(book), span_of("\"Bank\" <sip:1234567@x\n")));
  EXPECT_FALSE(changes_a_number(AssetFormat::opaque, "accounts", span_of("a"), span_of("b")));
}

// Regression (fuzzer): a row whose sip_uri does not parse threw from inside the SQLite row
// callback, leaving the statement unfinalised and the database unclosable (leak).
TEST(LinphoneFriendsDb, BadRowIsNamedAndNothingLeaks) {
  char tmpl[] = "/tmp/vg-friends-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(tmpl, &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE friends (id INTEGER PRIMARY KEY, friend_list_id INTEGER, "
                         "sip_uri TEXT, vCard TEXT);"
                         "INSERT INTO friends VALUES(1,1,'\"Bank\" <sip:1234567@x>',NULL);"
                         "INSERT INTO friends VALUES(2,1,'\"Evil\" <sip:unterminated',NULL);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto bytes = bytes_of(tmpl);
  unlink(tmpl);
  try {
    parse_asset(AssetFormat::linphone_friends_db, bytes, "friends.db");
    FAIL() << "bad sip_uri accepted";
  } catch (const vg::Error &e) {
    EXPECT_EQ(std::string(e.what()), "friends.db: friend id 2: '<' without a closing '>'");
  }
}
