#include "common/ascii_text.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/hex.hpp"
#include "common/mapped_file.hpp"

#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vg {
namespace {

std::span<const std::uint8_t> bytes(const std::string &s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

TEST(Digest, KnownVectorsInOnePass) {
  auto d = digest_bytes(bytes("abc"), hash_bit(HashAlgo::md5) | hash_bit(HashAlgo::sha1) |
                                          hash_bit(HashAlgo::sha256));
  EXPECT_EQ(d.md5->hex(), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(d.sha1->hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(d.sha256->hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto only = digest_bytes(bytes("abc"), hash_bit(HashAlgo::sha1));
  EXPECT_FALSE(only.md5);
  EXPECT_TRUE(only.sha1);
  EXPECT_FALSE(only.sha256);
}

TEST(Digest, LargeInputCrossesBlocks) {
  std::string big(1 << 20, 'a');
  auto d = digest_bytes(bytes(big), hash_bit(HashAlgo::md5));
  EXPECT_EQ(d.md5->hex(), "7202826a7791073fe2787f0c94603278");
}

TEST(Hex, RoundTripAndErrors) {
  auto b = hex_decode("00ff7A");
  ASSERT_TRUE(b);
  EXPECT_EQ(hex_encode(*b), "00ff7a");
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_EQ(hex_value('G'), -1);
}

TEST(MappedFile, MapsReadsAndNamesErrors) {
  char tmpl[] = "/tmp/vg-map-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "hello", 5), 5);
  ::close(fd);
  auto m = MappedFile::open(tmpl);
  EXPECT_EQ(m.size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(m.bytes().data()), 5), "hello");
  MappedFile moved = std::move(m);
  EXPECT_EQ(moved.size(), 5u);
  EXPECT_EQ(m.size(), 0u);
  ASSERT_EQ(::truncate(tmpl, 0), 0);
  EXPECT_EQ(MappedFile::open(tmpl).size(), 0u);
  ::unlink(tmpl);
  try {
    MappedFile::open(tmpl);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.input(), tmpl);
    EXPECT_EQ(e.reason(), "No such file or directory");
  }
  EXPECT_THROW(MappedFile::open("/tmp"), Error);
}

// Released pages of a file mapping are read back from the file; anonymous memory shows which
// pages went: only the whole pages inside the range, never the partial ones at its ends.
TEST(MappedFile, ReleaseDropsWholePagesOnly) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  char tmpl[] = "/tmp/vg-release-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  std::string content(4 * page + 100, '\0');
  for (std::size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  auto m = MappedFile::open(tmpl);
  ::unlink(tmpl);
  m.release(10, 3 * page + 10);
  m.release(0, m.size());
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(m.bytes().data()), m.size()), content);

  void *p = ::mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  auto *anon = static_cast<std::uint8_t *>(p);
  std::fill_n(anon, 4 * page, std::uint8_t{7});
  release_whole_pages({anon + 10, 3 * page}); // pages 1 and 2 lie wholly inside
  auto count_sevens = [&](std::size_t pg) {
    return static_cast<std::size_t>(std::count(anon + pg * page, anon + (pg + 1) * page, 7));
  };
  EXPECT_EQ(count_sevens(0), page);
  EXPECT_EQ(count_sevens(1), 0u);
  EXPECT_EQ(count_sevens(2), 0u);
  EXPECT_EQ(count_sevens(3), page);
  release_whole_pages({anon + 3 * page + 1, page - 2}); // no whole page: nothing
  EXPECT_EQ(count_sevens(3), page);
  ::munmap(p, 4 * page);
}

TEST(MappedFile, StreamsAreReadUpToTheLimit) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "0123456789", 10), 10);
  ::close(p[1]);
  auto m = MappedFile::from_fd(p[0], "pipe", 4);
  ::close(p[0]);
  EXPECT_EQ(m.size(), 4u);
  EXPECT_TRUE(m.truncated());
}

} // namespace
} // namespace vg

TEST(AsciiText, LowerFoldsOnlyAsciiLetters) {
  EXPECT_EQ(vg::ascii_lower("INVITE Sip:Bob@X"), "invite sip:bob@x");
  EXPECT_EQ(vg::ascii_lower(std::string_view("\xC4\x80Z", 3)), std::string("\xC4\x80z"));
}

TEST(AsciiText, ExcerptEscapesAndCuts) {
  EXPECT_EQ(vg::printable_excerpt(std::string_view("a\0b\r\n", 5)), "a\\x00b\\x0d\\x0a");
  EXPECT_EQ(vg::printable_excerpt("\xff", 60), "\\xff");
  EXPECT_EQ(vg::printable_excerpt("abcdef", 3), "abc...");
  EXPECT_EQ(vg::printable_excerpt("abc", 3), "abc");
}
