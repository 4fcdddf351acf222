// file_type.cpp — ClamAV 1.4.6-compatible file typing (see file_type.hpp for the rules).
#include "engine/file_type.hpp"

#include "common/hex.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

namespace vg {

namespace {

using Bytes = std::span<const std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Step 1: fixed-offset magic entries ("0:OFFSET:HEX" lines of the built-in table), in table order.
// ClamAV prepends each loaded entry to a list, so the last entry of the table is tried first.

struct Magic {
  std::uint32_t offset;
  std::string_view hex;
  ClamType type;
};

constexpr Magic kMagic[] = {
    {0, "1f8b", ClamType::gz},
    {0, "23407e5e", ClamType::screnc},
    {0,
     "28546869732066696c65206d75737420626520636f6e76657274656420776974682042696e48657820342e3029",
     ClamType::binhex},
    {0, "2e524d46", ClamType::ignored},
    {0, "3e46726f6d20", ClamType::mail},
    {0, "424d", ClamType::graphics},
    {0, "425a68", ClamType::bz},
    {0, "446174653a20", ClamType::mail},
    {0, "44656c6976657265642d546f3a20", ClamType::mail},
    {0, "44656c69766572792d646174653a20", ClamType::mail},
    {0, "456e76656c6f70652d746f3a20", ClamType::mail},
    {0, "466f723a20", ClamType::mail},
    {0, "46726f6d20", ClamType::mail},
    {0, "46726f6d3a20", ClamType::mail},
    {0, "48692e20546869732069732074686520716d61696c2d73656e64", ClamType::mail},
    {0, "494433", ClamType::ignored},
    {0, "49545346", ClamType::mschm},
    {0, "4d5a", ClamType::msexe},
    {0, "4d6573736167652d49443a20", ClamType::mail},
    {0, "4d6573736167652d49643a20", ClamType::mail},
    {0, "4f676753", ClamType::ignored},
    {0, "504b0304", ClamType::zip},
    {0, "504b3030504b0304", ClamType::zip},
    {0, "52494646", ClamType::riff},
    {0, "52494658", ClamType::riff},
    {0, "52617221", ClamType::rar},
    {0, "52656365697665643a20", ClamType::mail},
    {0, "52657475726e2d506174683a20", ClamType::mail},
    {0, "52657475726e2d706174683a20", ClamType::mail},
    {0, "535a4444", ClamType::msszdd},
    {0, "5375626a6563743a20", ClamType::mail},
    {0, "546f3a20", ClamType::mail},
    {0, "582d4170706172656e746c792d546f3a20", ClamType::mail},
    {0, "582d455653", ClamType::mail},
    {0, "582d456e76656c6f70652d46726f6d3a20", ClamType::mail},
    {0, "582d4f726967696e616c2d546f3a20", ClamType::mail},
    {0, "582d5265616c2d546f3a20", ClamType::mail},
    {0, "582d53696576653a20", ClamType::mail},
    {0, "582d53796d616e7465632d", ClamType::mail},
    {0, "582d5549444c3a20", ClamType::mail},
    {0, "60ea", ClamType::arj},
    {0, "626567696e20", ClamType::uuencoded},
    {0, "763a0a52656365697665643a20", ClamType::mail},
    {0, "763a0d0a52656365697665643a20", ClamType::mail},
    {0, "789f3e22", ClamType::tnef},
    {0, "7f454c46", ClamType::elf},
    {0, "b6b9acaefeffffff", ClamType::cryptff},
    {0, "d0cf11e0a1b11ae1", ClamType::msole2},
    {0, "fffb90", ClamType::ignored},
    {0, "5349502d48495420285349502f48", ClamType::ignored},
    {257, "7573746172", ClamType::posix_tar},
    {0, "5b616c69617365735d", ClamType::script},
    {0, "cefaedfe", ClamType::macho},
    {0, "cffaedfe", ClamType::macho},
    {0, "feedface", ClamType::macho},
    {0, "feedfacf", ClamType::macho},
    {0, "377abcaf271c", ClamType::sevenzip},
    {0, "52656365697665642d5350463a20", ClamType::mail},
    {0, "303730373031", ClamType::cpio_newc},
    {0, "303730373032", ClamType::cpio_crc},
    {0, "303730373037", ClamType::cpio_odc},
    {0, "71c7", ClamType::cpio_old},
    {0, "c771", ClamType::cpio_old},
    {0, "255044462d", ClamType::pdf},
    {0, "53594d430100", ClamType::ignored},
    {0, "377f0682002de218", ClamType::ignored},
    {0, "377f0683002de218", ClamType::ignored},
    {0, "53514c69746520666f726d6174203300", ClamType::ignored},
    {0, "d9d505f920a163d7", ClamType::ignored},
    {0, "465753", ClamType::swf},
    {0, "4d53434600000000", ClamType::mscab},
    {0, "5b616c69617365735d", ClamType::posix_tar},
    {0, "0000000c6a5020200d0a870a", ClamType::graphics},
    {0, "000001b3", ClamType::binary_data},
    {0, "000001ba", ClamType::binary_data},
    {0, "78617221", ClamType::xar},
    {0, "fd377a585a00", ClamType::xz},
    {512, "4546492050415254", ClamType::gpt},
    {4, "d0cf11e0a1b11ae1", ClamType::hwpole2},
    {0, "48575020446f63756d656e742046696c652056332e3030201a0102030405", ClamType::hwp3},
    {0, "7b5c7274", ClamType::rtf},
    {0, "252150532d41646f62652d", ClamType::ps},
    {0, "4c0000000114020000000000c000000000000046", ClamType::lnk},
    {0, "435753", ClamType::swf},
    {0, "45474741", ClamType::egg},
    {0, "89504e47", ClamType::png},
    {0, "474946", ClamType::gif},
    {0, "ffd8ff", ClamType::jpeg},
    {0, "49492a00", ClamType::tiff},
    {0, "4d4d", ClamType::tiff},
    {0, "7b0a2020224d61676963223a22434c414d4a534f4e763022", ClamType::internal},
    {0, "5a5753", ClamType::swf},
    {0, "e4525c7b8cd8a74daeb15378d02996d3", ClamType::onenote},
    {0, "02099900", ClamType::python_compiled},
    {0, "03099900", ClamType::python_compiled},
    {0, "414c5a01", ClamType::alz},
};

// The .pyc magics of the table (all "XXYY0d0a" at offset 0); order among them is irrelevant
// because no two overlap, and none overlaps another entry.
constexpr std::uint16_t kPycMagic[] = {
    0x892e, 0x0417, 0x994e, 0xfcc4, 0xfdc4, 0x87c6, 0x88c6, 0x2aeb, 0x2beb, 0x2ded, 0x2eed, 0x3bf2,
    0x3cf2, 0x45f2, 0x59f2, 0x63f2, 0x6df2, 0x6ef2, 0x77f2, 0x81f2, 0x8bf2, 0x8cf2, 0x95f2, 0x9ff2,
    0xa9f2, 0xb3f2, 0xb4f2, 0xc7f2, 0xd1f2, 0xd2f2, 0xdbf2, 0xe5f2, 0xeff2, 0xf9f2, 0x03f3, 0x04f3,
    0x0af3, 0xb80b, 0xc20b, 0xcc0b, 0xd60b, 0xe00b, 0xea0b, 0xf40b, 0xf50b, 0xff0b, 0x090c, 0x130c,
    0x1d0c, 0x1f0c, 0x270c, 0x3b0c, 0x450c, 0x4f0c, 0x580c, 0x620c, 0x6c0c, 0x760c, 0x800c, 0x8a0c,
    0x940c, 0x9e0c, 0xb20c, 0xbc0c, 0xc60c, 0xd00c, 0xda0c, 0xe40c, 0xee0c, 0xf80c, 0x020d, 0x0c0d,
    0x160d, 0x170d, 0x200d, 0x210d, 0x2a0d, 0x2b0d, 0x2c0d, 0x2d0d, 0x2f0d, 0x300d, 0x310d, 0x320d,
    0x330d, 0x3e0d, 0x3f0d, 0xf00d, 0x0001, 0x5001,
};

bool magic_at(Bytes buf, std::uint32_t offset, std::string_view hex) {
  const std::size_t len = hex.size() / 2;
  if (offset > buf.size() || len > buf.size() - offset)
    return false;
  for (std::size_t i = 0; i < len; ++i) {
    const int v = hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]);
    if (buf[offset + i] != static_cast<std::uint8_t>(v))
      return false;
  }
  return true;
}

std::optional<ClamType> fixed_magic(Bytes buf) {
  // Entries appended after the .pyc block in the table (ALZ) come first, then the .pyc block,
  // then the rest of kMagic backwards; kMagic's last three entries straddle the .pyc block.
  constexpr std::size_t n = std::size(kMagic);
  if (magic_at(buf, 0, kMagic[n - 1].hex))
    return kMagic[n - 1].type;
  if (buf.size() >= 4 && buf[2] == 0x0d && buf[3] == 0x0a) {
    const std::uint16_t head = static_cast<std::uint16_t>(buf[0] << 8 | buf[1]);
    for (std::uint16_t m : kPycMagic)
      if (m == head)
        return ClamType::python_compiled;
  }
  for (std::size_t i = n - 1; i-- > 0;)
    if (magic_at(buf, kMagic[i].offset, kMagic[i].hex))
      return kMagic[i].type;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Step 2: text detection (textdet.c, after file(1)'s ascmagic).

enum : std::uint8_t { F = 0, T = 1, I = 2, X = 3 };
constexpr std::array<std::uint8_t, 256> make_text_chars() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = F;
    if (c == 7 || c == 8 || c == 9 || c == 10 || c == 12 || c == 13 || c == 27)
      v = T;
    else if (c >= 0x20 && c < 0x7f)
      v = T;
    else if (c == 0x85)
      v = T;
    else if (c >= 0x80 && c < 0xa0)
      v = X;
    else if (c >= 0xa0)
      v = I;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
constexpr auto kTextChars = make_text_chars();

bool td_isascii(Bytes b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return kTextChars[c] != F; });
}

bool td_isutf8(Bytes b) {
  bool gotone = false;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const std::uint8_t c = b[i];
    if ((c & 0x80) == 0) {
      if (kTextChars[c] != T)
        return false;
    } else if ((c & 0x40) == 0) {
      return false;
    } else {
      std::size_t following;
      if ((c & 0x20) == 0)
        following = 1;
      else if ((c & 0x10) == 0)
        following = 2;
      else if ((c & 0x08) == 0)
        following = 3;
      else if ((c & 0x04) == 0)
        following = 4;
      else if ((c & 0x02) == 0)
        following = 5;
      else
        return false;
      for (std::size_t j = 0; j < following; ++j) {
        if (++i >= b.size())
          return gotone;
        if ((b[i] & 0x80) == 0 || (b[i] & 0x40))
          return false;
      }
      gotone = true;
    }
  }
  return gotone;
}

// 0: not UTF-16, 1: little-endian, 2: big-endian (also the guess without a byte-order mark).
int td_isutf16(Bytes b) {
  if (b.size() < 2)
    return 0;
  bool be = true, nobom = false;
  if (b[0] == 0xff && b[1] == 0xfe)
    be = false;
  else if (b[0] == 0xfe && b[1] == 0xff)
    be = true;
  else
    nobom = true;
  std::size_t bad = 0;
  for (std::size_t i = 2; i + 1 < b.size(); i += 2) {
    const unsigned c = be ? (b[i + 1] + 256u * b[i]) : (b[i] + 256u * b[i + 1]);
    if (c == 0xfffe)
      return 0;
    if (c < 128 && kTextChars[c] != T) {
      if (nobom)
        return 0;
      ++bad;
    }
  }
  if (!nobom && bad >= b.size() / 2)
    return 0;
  return be ? 2 : 1;
}

ClamType text_type(Bytes b) {
  if (td_isascii(b))
    return ClamType::text_ascii;
  if (td_isutf8(b))
    return ClamType::text_utf8;
  switch (td_isutf16(b)) {
  case 1:
    return ClamType::text_utf16le;
  case 2:
    return ClamType::text_utf16be;
  default:
    return ClamType::binary_data;
  }
}

// is_tar() from file(1): 0 no, 1 old tar, 2 GNU/POSIX tar (magic "ustar  \0").
long from_oct(const std::uint8_t *where, int digs) {
  while (digs > 0 && *where == ' ') {
    ++where;
    --digs;
  }
  if (digs <= 0)
    return -1;
  long value = 0;
  while (digs > 0 && *where >= '0' && *where <= '7') {
    value = (value << 3) | (*where++ - '0');
    --digs;
  }
  if (digs > 0 && *where && *where != ' ' && *where != '\t' && *where != '\n' && *where != '\r' &&
      *where != '\v' && *where != '\f')
    return -1;
  return value;
}

int is_tar(Bytes b) {
  if (b.size() < 512)
    return 0;
  const long recsum = from_oct(b.data() + 148, 8);
  long sum = 0;
  for (std::size_t i = 0; i < 512; ++i)
    sum += b[i];
  for (std::size_t i = 148; i < 156; ++i)
    sum -= b[i];
  sum += ' ' * 8;
  if (sum != recsum)
    return 0;
  static constexpr char kGnuMagic[8] = {'u', 's', 't', 'a', 'r', ' ', ' ', '\0'};
  if (std::memcmp(b.data() + 257, kGnuMagic, 8) == 0)
    return 2;
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Step 3: recognition patterns ("1:OFFSET:HEX" lines), a small subset of ClamAV's body grammar:
// hex bytes, ?? and nibble wildcards, (aa|bb) single-byte alternatives, *, {n}, {n-m}, {-n}.

struct Pattern {
  struct Segment {
    std::vector<std::bitset<256>> bytes;
  };
  struct Gap {
    std::size_t min = 0, max = 0; // max == npos: unbounded
  };
  std::vector<Segment> segments;
  std::vector<Gap> gaps;                    // gaps[i] lies between segments[i] and segments[i+1]
  std::size_t start_min = 0, start_max = 0; // allowed start offsets
  bool start_any = false;
  ClamType type{};
};

constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

struct RecogSpec {
  std::string_view offset; // "*", "N" or "N,M" (start in [N, N+M])
  std::string_view hex;
  ClamType type;
};

constexpr RecogSpec kRecog[] = {
    {"*", "3c4120*(68|48)(72|52)4546", ClamType::html},
    {"*", "3c4120*(68|48)(72|52)6566", ClamType::html},
    {"*", "3c484541443e", ClamType::html},
    {"*", "3c48544d4c3e", ClamType::html},
    {"*", "3c486561643e", ClamType::html},
    {"*", "3c48746d6c3e", ClamType::html},
    {"*", "3c494652414d45", ClamType::html},
    {"*", "3c494d47", ClamType::html},
    {"*", "3c496d67", ClamType::html},
    {"*", "3c4f424a454354", ClamType::html},
    {"*", "3c4f626a656374", ClamType::html},
    {"*", "3c534352495054", ClamType::html},
    {"*", "3c536372697074", ClamType::html},
    {"*", "3c5441424c45", ClamType::html},
    {"*", "3c6120*(68|48)(72|52)4546", ClamType::html},
    {"*", "3c6120*(68|48)(72|52)6566", ClamType::html},
    {"*", "3c686561643e", ClamType::html},
    {"*", "3c68746d6c3e", ClamType::html},
    {"*", "3c696672616d65", ClamType::html},
    {"*", "3c696d67", ClamType::html},
    {"*", "3c6f626a656374", ClamType::html},
    {"*", "3c736372697074", ClamType::html},
    {"*", "3c7461626c65", ClamType::html},
    {"*", "4d5a{60-300}50450000", ClamType::msexe},
    {"*", "504b0304", ClamType::zipsfx},
    {"*", "526172211a0700", ClamType::rarsfx},
    {"*", "60ea{7}0002", ClamType::arjsfx},
    {"*", "60ea{7}0102", ClamType::arjsfx},
    {"*", "60ea{7}0202", ClamType::arjsfx},
    {"*", "a3484bbe986c4aa9994c530a86d6487d41553321454130(35|36)", ClamType::autoit},
    {"*", "efbeadde4e756c6c736f6674496e7374", ClamType::nulsft},
    {"0", "3c2540204c414e4755414745203d", ClamType::html},
    {"0,1024", "0a(46|66)726f6d3a20{-1024}0a(4d|6d)(49|69)(4d|6d)(45|65)2d(56|76)657273696f6e3a20",
     ClamType::mail},
    {"0,1024", "0a(46|66)726f6d3a20{-2048}0a(43|63)6f6e74656e742d(54|74)7970653a20",
     ClamType::mail},
    {"0,1024",
     "0a(4d|6d)(49|69)(4d|6d)(45|65)2d(56|76)657273696f6e3a20{-2048}0a(43|63)6f6e74656e742d(54|74)"
     "7970653a20",
     ClamType::mail},
    {"0,1024",
     "0a(4d|6d)6573736167652d(49|69)643a20{-1024}0a(43|63)6f6e74656e742d(54|74)7970653a20",
     ClamType::mail},
    {"0,2048", "0a(52|72)656365697665643a20{-2048}0a(43|63)6f6e74656e742d(54|74)7970653a20",
     ClamType::mail},
    {"*", "496e7374616c6c536869656c6400{292}0600000000000000????????????????0000000001",
     ClamType::ishield_msi},
    {"*", "255044462d??2e", ClamType::pdf},
    {"*", "257064662d??2e", ClamType::pdf},
    {"0,128", "2f5247420a49440affffffffffffffffffffffffffffffffffffffffffffffff",
     ClamType::ignored},
    {"*", "4d53434600000000", ClamType::cabsfx},
    {"*", "014344303031{2043-2443}4344303031", ClamType::iso9660},
    {"0,32768", "004245413031", ClamType::udf},
    {"8,12", "19040010", ClamType::sis},
    {"0,1024", "44656c6976657265642d546f3a{-256}52656365697665643a", ClamType::mail},
    {"0", "cafebabe0000000?", ClamType::macho_unibin},
    {"0", "cafebabe0000001?", ClamType::macho_unibin},
    {"0", "cafebabe0000002?", ClamType::java},
    {"0", "cafebabe0000003?", ClamType::java},
    {"0", "3c3f786d6c2076657273696f6e3d22312e3022{0-1024}3c576f726b626f6f6b", ClamType::xml_xl},
    {"0", "3c3f786d6c2076657273696f6e3d22312e3022{0-1024}3c776f7264446f63756d656e74",
     ClamType::xml_word},
    {"0", "3c3f786d6c2076657273696f6e3d22312e3022{0-1024}3c??3a576f726b626f6f6b", ClamType::xml_xl},
    {"0", "3c3f786d6c2076657273696f6e3d22312e3022{0-1024}3c??3a776f7264446f63756d656e74",
     ClamType::xml_word},
    {"*", "3c7864703a786470", ClamType::xdp},
    {"0", "4552{510}504d0000", ClamType::apm},
    {"510", "55aa", ClamType::mbr},
    {"0", "efbbbf3c3f786d6c2076657273696f6e3d22312e3022*3c4857504d4c", ClamType::xml_hwp},
    {"0",
     "(4d|6d)(49|69)(4d|6d)(45|65)2d(56|76)657273696f6e3a20{-1024}0a(43|63)6f6e74656e742d(54|74)"
     "7970653a20",
     ClamType::mhtml},
    {"*",
     "0a(4d|6d)(49|69)(4d|6d)(45|65)2d(56|76)657273696f6e3a20{-1024}0a(43|63)6f6e74656e742d(54|74)"
     "7970653a20",
     ClamType::mhtml},
    {"*", "377abcaf271c", ClamType::sevenzipsfx},
    {"0",
     "3c3f786d6c2076657273696f6e3d22312e3022{0-1024}70726f6769643d22576f72642e446f63756d656e74223f"
     "3e",
     ClamType::xml_word},
    {"0", "??0d0d0a", ClamType::python_compiled},
    {"2", "2d6c68(30|31|32|33|34|35|36|37|64|78)2d", ClamType::lha_lzh},
    {"2", "2d6c7a(73|34|35)2d", ClamType::lha_lzh},
    {"2", "2d706d302d", ClamType::lha_lzh},
};

std::size_t parse_number(std::string_view s, std::size_t &pos) {
  std::size_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
    v = v * 10 + static_cast<std::size_t>(s[pos++] - '0');
  return v;
}

Pattern compile(const RecogSpec &spec) {
  Pattern p;
  p.type = spec.type;
  if (spec.offset == "*") {
    p.start_any = true;
  } else {
    std::size_t pos = 0;
    p.start_min = parse_number(spec.offset, pos);
    p.start_max = p.start_min;
    if (pos < spec.offset.size() && spec.offset[pos] == ',') {
      ++pos;
      p.start_max = p.start_min + parse_number(spec.offset, pos);
    }
  }
  p.segments.emplace_back();
  const std::string_view h = spec.hex;
  std::size_t i = 0;
  while (i < h.size()) {
    if (h[i] == '*' || h[i] == '{') {
      Pattern::Gap g;
      if (h[i] == '*') {
        g.max = kUnbounded;
        ++i;
      } else {
        ++i;
        if (h[i] == '-') {
          ++i;
          g.max = parse_number(h, i);
        } else {
          g.min = parse_number(h, i);
          g.max = g.min;
          if (h[i] == '-') {
            ++i;
            g.max = (h[i] == '}') ? kUnbounded : parse_number(h, i);
          }
        }
        ++i; // '}'
      }
      p.gaps.push_back(g);
      p.segments.emplace_back();
    } else if (h[i] == '(') {
      std::bitset<256> set;
      ++i;
      while (h[i] != ')') {
        if (h[i] == '|') {
          ++i;
          continue;
        }
        set.set(static_cast<std::size_t>(hex_value(h[i]) * 16 + hex_value(h[i + 1])));
        i += 2;
      }
      ++i;
      p.segments.back().bytes.push_back(set);
    } else {
      std::bitset<256> set;
      const char a = h[i], b = h[i + 1];
      for (int v = 0; v < 256; ++v) {
        const bool hi_ok = a == '?' || hex_value(a) == (v >> 4);
        const bool lo_ok = b == '?' || hex_value(b) == (v & 15);
        if (hi_ok && lo_ok)
          set.set(static_cast<std::size_t>(v));
      }
      p.segments.back().bytes.push_back(set);
      i += 2;
    }
  }
  return p;
}

const std::vector<Pattern> &patterns() {
  static const std::vector<Pattern> compiled = [] {
    std::vector<Pattern> v;
    for (const auto &s : kRecog)
      v.push_back(compile(s));
    return v;
  }();
  return compiled;
}

bool segment_at(const Pattern::Segment &s, Bytes buf, std::size_t pos) {
  if (pos > buf.size() || s.bytes.size() > buf.size() - pos)
    return false;
  for (std::size_t k = 0; k < s.bytes.size(); ++k)
    if (!s.bytes[k].test(buf[pos + k]))
      return false;
  return true;
}

// End offset (one past) of the last match of `p` in `buf`, if any. `first_starts` are the
// positions where the first segment matches (found by the caller in one pass for all patterns).
std::optional<std::size_t> last_match_end(const Pattern &p, Bytes buf,
                                          const std::vector<std::size_t> &first_starts) {
  std::vector<std::size_t> ends; // sorted end offsets of partial matches so far
  for (std::size_t s : first_starts)
    ends.push_back(s + p.segments[0].bytes.size());
  for (std::size_t k = 1; k < p.segments.size() && !ends.empty(); ++k) {
    const auto &seg = p.segments[k];
    const auto gap = p.gaps[k - 1];
    if (seg.bytes.size() > buf.size())
      return std::nullopt;
    const std::size_t last_start = buf.size() - seg.bytes.size();
    const std::size_t from = ends.front() + gap.min;
    std::size_t to = last_start;
    if (gap.max != kUnbounded && ends.back() + gap.max < to)
      to = ends.back() + gap.max;
    if (from > to)
      return std::nullopt;
    // Is there a previous end e with s - gap.max <= e <= s - gap.min?
    auto reachable = [&](std::size_t s) {
      if (gap.max == kUnbounded)
        return true; // s >= from already
      const std::size_t upper = s - gap.min;
      const std::size_t lower = s < gap.max ? 0 : s - gap.max;
      auto it = std::lower_bound(ends.begin(), ends.end(), lower);
      return it != ends.end() && *it <= upper;
    };
    if (k + 1 == p.segments.size()) {
      // Last segment: only its last match matters, so search backwards.
      for (std::size_t s = to + 1; s-- > from;)
        if (segment_at(seg, buf, s) && reachable(s))
          return s + seg.bytes.size();
      return std::nullopt;
    }
    std::vector<std::size_t> next;
    for (std::size_t s = from; s <= to; ++s)
      if (segment_at(seg, buf, s) && reachable(s))
        next.push_back(s + seg.bytes.size());
    ends.swap(next);
  }
  if (ends.empty())
    return std::nullopt;
  return ends.back();
}

// For each byte value, the patterns whose first segment can start with it, so that one pass over
// the window finds every first-segment occurrence: `all` while anchored patterns may still start,
// `unanchored` beyond the largest anchored start offset.
struct FirstByteIndex {
  std::array<std::vector<std::size_t>, 256> all, unanchored;
  std::size_t last_anchored_start = 0;
};

const FirstByteIndex &first_byte_index() {
  static const FirstByteIndex index = [] {
    FirstByteIndex idx;
    const auto &ps = patterns();
    for (std::size_t i = 0; i < ps.size(); ++i) {
      if (!ps[i].start_any)
        idx.last_anchored_start = std::max(idx.last_anchored_start, ps[i].start_max);
      for (std::size_t b = 0; b < 256; ++b)
        if (ps[i].segments[0].bytes[0].test(b)) {
          idx.all[b].push_back(i);
          if (ps[i].start_any)
            idx.unanchored[b].push_back(i);
        }
    }
    return idx;
  }();
  return index;
}

bool always_overrides(ClamType t) {
  return t == ClamType::msexe || t >= ClamType::zipsfx;
}

// cli_utf16toascii: each pair (lo, hi) becomes (hi << 4) + lo, truncated to a byte.
std::vector<std::uint8_t> utf16_to_ascii(Bytes b) {
  std::vector<std::uint8_t> out;
  const std::size_t n = b.size() & ~std::size_t{1};
  out.reserve(n / 2);
  for (std::size_t i = 0; i < n; i += 2)
    out.push_back(static_cast<std::uint8_t>((b[i + 1] << 4) + b[i]));
  return out;
}

// Text behind a byte-order mark, reduced to the code units below 0x100 (enough to find the ASCII
// HTML markers, which is all ClamAV's entity-converting re-check looks for).
std::optional<std::vector<std::uint8_t>> decode_bom_text(Bytes b) {
  std::vector<std::uint8_t> out;
  if (b.size() >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
    out.assign(b.begin() + 3, b.end());
    return out;
  }
  const bool le = b.size() >= 2 && b[0] == 0xff && b[1] == 0xfe;
  const bool be = b.size() >= 2 && b[0] == 0xfe && b[1] == 0xff;
  if (!le && !be)
    return std::nullopt;
  for (std::size_t i = 2; i + 1 < b.size(); i += 2) {
    const unsigned u = le ? (b[i] | b[i + 1] << 8) : (b[i] << 8 | b[i + 1]);
    if (u != 0 && u < 0x100)
      out.push_back(static_cast<std::uint8_t>(u));
  }
  return out;
}

bool pe_header_valid(Bytes data) {
  if (data.size() < 0x40 || data[0] != 'M' || data[1] != 'Z')
    return false;
  const std::uint32_t lfanew =
      static_cast<std::uint32_t>(data[0x3c]) | static_cast<std::uint32_t>(data[0x3d]) << 8 |
      static_cast<std::uint32_t>(data[0x3e]) << 16 | static_cast<std::uint32_t>(data[0x3f]) << 24;
  if (lfanew == 0 || lfanew > data.size() || data.size() - lfanew < 4)
    return false;
  return data[lfanew] == 'P' && data[lfanew + 1] == 'E' && data[lfanew + 2] == 0 &&
         data[lfanew + 3] == 0;
}

} // namespace

std::optional<ClamType> recognize_embedded_type(std::span<const std::uint8_t> window) {
  struct Hit {
    std::size_t end;
    ClamType type;
  };
  const auto &ps = patterns();
  thread_local std::vector<std::vector<std::size_t>> starts;
  starts.resize(ps.size());
  for (auto &v : starts)
    v.clear();
  // One pass, dispatching on the byte at each position; anchored patterns only in their range.
  const auto &index = first_byte_index();
  for (std::size_t s = 0; s < window.size(); ++s)
    for (std::size_t i :
         (s <= index.last_anchored_start ? index.all : index.unanchored)[window[s]]) {
      const auto &p = ps[i];
      if (!p.start_any && (s < p.start_min || s > p.start_max))
        continue;
      if (segment_at(p.segments[0], window, s))
        starts[i].push_back(s);
    }
  std::vector<Hit> hits;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (starts[i].empty())
      continue;
    if (auto end = last_match_end(ps[i], window, starts[i])) {
      if (ps[i].type == ClamType::ignored)
        return ClamType::ignored; // returned at once by the matcher
      hits.push_back({*end, ps[i].type});
    }
  }
  if (hits.empty())
    return std::nullopt;
  // Matches are reported in buffer order; a later PE/SFX-class match replaces whatever came before,
  // any other match only raises the type. Using each pattern's last match gives the same result.
  std::optional<std::size_t> last_always;
  ClamType result{};
  bool have = false;
  for (const auto &h : hits)
    if (always_overrides(h.type) &&
        (!last_always || h.end > *last_always || (h.end == *last_always && h.type > result))) {
      last_always = h.end;
      result = h.type;
      have = true;
    }
  for (const auto &h : hits)
    if (!always_overrides(h.type) && (!last_always || h.end > *last_always) &&
        (!have || h.type > result)) {
      result = h.type;
      have = true;
    }
  return result;
}

ClamType detect_clamav_type(std::span<const std::uint8_t> data) {
  const Bytes buf = data.first(std::min(data.size(), kMagicBufferSize));
  ClamType t;
  if (auto m = fixed_magic(buf)) {
    t = *m;
  } else {
    t = text_type(buf);
    if (t == ClamType::binary_data) {
      switch (is_tar(buf)) {
      case 1:
        return ClamType::old_tar;
      case 2:
        return ClamType::posix_tar;
      default:
        break;
      }
    }
  }
  if (t > ClamType::binary_data)
    return t;
  if (auto r = recognize_embedded_type(buf)) {
    // Observed with clamscan 1.4.6: an archive-SFX marker in the first KiB (PK\3\4, Rar!, 7z,
    // MSCF, ARJ) leaves the file typed as text/binary data (the SFX is only extracted by the raw
    // scan), while the other recognised types (PE, HTML, mail, PDF, NSIS, AutoIt, ...) re-type it.
    if (*r >= ClamType::zipsfx && *r <= ClamType::arjsfx)
      return t;
    return *r;
  }
  const auto decoded = utf16_to_ascii(buf);
  if (auto r = recognize_embedded_type(decoded); r && *r == ClamType::html)
    return ClamType::html_utf16;
  if (auto text = decode_bom_text(buf))
    if (auto r = recognize_embedded_type(*text); r && *r == ClamType::html)
      return ClamType::html;
  return t;
}

FileKind kind_of(ClamType t, std::span<const std::uint8_t> data) {
  switch (t) {
  case ClamType::msexe:
    return pe_header_valid(data) ? FileKind::pe : FileKind::msdos;
  case ClamType::elf:
    return FileKind::elf;
  case ClamType::macho:
  case ClamType::macho_unibin:
    return FileKind::macho;
  case ClamType::msole2:
    return FileKind::ole2;
  case ClamType::html:
  case ClamType::html_utf16:
    return FileKind::html;
  case ClamType::mail:
  case ClamType::mhtml:
    return FileKind::mail;
  case ClamType::graphics:
  case ClamType::gif:
  case ClamType::png:
  case ClamType::jpeg:
  case ClamType::tiff:
    return FileKind::graphics;
  case ClamType::text_ascii:
  case ClamType::text_utf8:
  case ClamType::text_utf16le:
  case ClamType::text_utf16be:
    return FileKind::ascii;
  case ClamType::pdf:
    return FileKind::pdf;
  case ClamType::swf:
    return FileKind::flash;
  case ClamType::java:
    return FileKind::java;
  case ClamType::zip:
  case ClamType::ooxml_word:
  case ClamType::ooxml_ppt:
  case ClamType::ooxml_xl:
  case ClamType::ooxml_hwp:
    return FileKind::zip;
  case ClamType::gz:
    return FileKind::gzip;
  case ClamType::bz:
    return FileKind::bzip2;
  case ClamType::xz:
    return FileKind::xz;
  case ClamType::sevenzip:
    return FileKind::sevenzip;
  case ClamType::rar:
    return FileKind::rar;
  case ClamType::mscab:
    return FileKind::cab;
  case ClamType::posix_tar:
  case ClamType::old_tar:
    return FileKind::tar;
  default:
    return FileKind::binary;
  }
}

FileKind detect_file_type(std::span<const std::uint8_t> data) {
  return kind_of(detect_clamav_type(data), data);
}

std::optional<TargetType> clamav_target_of(ClamType t) {
  switch (t) {
  case ClamType::msexe:
    return TargetType::pe;
  case ClamType::msole2:
    return TargetType::ole2;
  case ClamType::html:
    return TargetType::html;
  case ClamType::mail:
    return TargetType::mail;
  case ClamType::graphics:
  case ClamType::gif:
  case ClamType::png:
  case ClamType::jpeg:
  case ClamType::tiff:
    return TargetType::graphics;
  case ClamType::elf:
    return TargetType::elf;
  case ClamType::text_ascii:
    return TargetType::ascii;
  case ClamType::macho:
  case ClamType::macho_unibin:
    return TargetType::macho;
  case ClamType::pdf:
    return TargetType::pdf;
  case ClamType::swf:
    return TargetType::flash;
  case ClamType::java:
    return TargetType::java;
  case ClamType::internal:
    return TargetType::internal;
  default:
    return std::nullopt;
  }
}

TargetType target_type_for(FileKind k) {
  switch (k) {
  case FileKind::pe:
  case FileKind::msdos:
    return TargetType::pe;
  case FileKind::elf:
    return TargetType::elf;
  case FileKind::macho:
    return TargetType::macho;
  case FileKind::ole2:
    return TargetType::ole2;
  case FileKind::html:
    return TargetType::html;
  case FileKind::mail:
    return TargetType::mail;
  case FileKind::graphics:
    return TargetType::graphics;
  case FileKind::ascii:
    return TargetType::ascii;
  case FileKind::pdf:
    return TargetType::pdf;
  case FileKind::flash:
    return TargetType::flash;
  case FileKind::java:
    return TargetType::java;
  case FileKind::binary:
  case FileKind::zip:
  case FileKind::gzip:
  case FileKind::bzip2:
  case FileKind::xz:
  case FileKind::sevenzip:
  case FileKind::rar:
  case FileKind::cab:
  case FileKind::tar:
    return TargetType::any;
  }
  return TargetType::any;
}

const char *file_kind_name(FileKind k) {
  switch (k) {
  case FileKind::binary:
    return "binary";
  case FileKind::pe:
    return "PE";
  case FileKind::msdos:
    return "MS-DOS";
  case FileKind::elf:
    return "ELF";
  case FileKind::macho:
    return "Mach-O";
  case FileKind::ole2:
    return "OLE2";
  case FileKind::html:
    return "HTML";
  case FileKind::mail:
    return "mail";
  case FileKind::graphics:
    return "graphics";
  case FileKind::ascii:
    return "ASCII";
  case FileKind::pdf:
    return "PDF";
  case FileKind::flash:
    return "Flash";
  case FileKind::java:
    return "Java";
  case FileKind::zip:
    return "ZIP";
  case FileKind::gzip:
    return "gzip";
  case FileKind::bzip2:
    return "bzip2";
  case FileKind::xz:
    return "xz";
  case FileKind::sevenzip:
    return "7z";
  case FileKind::rar:
    return "RAR";
  case FileKind::cab:
    return "CAB";
  case FileKind::tar:
    return "tar";
  }
  return "?";
}

const char *clamav_type_name(ClamType t) {
  static constexpr const char *kNames[] = {
      "CL_TYPE_TEXT_ASCII",
      "CL_TYPE_TEXT_UTF8",
      "CL_TYPE_TEXT_UTF16LE",
      "CL_TYPE_TEXT_UTF16BE",
      "CL_TYPE_BINARY_DATA",
      "CL_TYPE_MSEXE",
      "CL_TYPE_ELF",
      "CL_TYPE_MACHO",
      "CL_TYPE_MACHO_UNIBIN",
      "CL_TYPE_POSIX_TAR",
      "CL_TYPE_OLD_TAR",
      "CL_TYPE_CPIO_OLD",
      "CL_TYPE_CPIO_ODC",
      "CL_TYPE_CPIO_NEWC",
      "CL_TYPE_CPIO_CRC",
      "CL_TYPE_GZ",
      "CL_TYPE_ZIP",
      "CL_TYPE_BZ",
      "CL_TYPE_RAR",
      "CL_TYPE_ARJ",
      "CL_TYPE_MSSZDD",
      "CL_TYPE_MSOLE2",
      "CL_TYPE_MSCAB",
      "CL_TYPE_MSCHM",
      "CL_TYPE_SIS",
      "CL_TYPE_SCRENC",
      "CL_TYPE_GRAPHICS",
      "CL_TYPE_GIF",
      "CL_TYPE_PNG",
      "CL_TYPE_JPEG",
      "CL_TYPE_TIFF",
      "CL_TYPE_RIFF",
      "CL_TYPE_BINHEX",
      "CL_TYPE_TNEF",
      "CL_TYPE_CRYPTFF",
      "CL_TYPE_PDF",
      "CL_TYPE_UUENCODED",
      "CL_TYPE_SCRIPT",
      "CL_TYPE_HTML_UTF16",
      "CL_TYPE_RTF",
      "CL_TYPE_7Z",
      "CL_TYPE_SWF",
      "CL_TYPE_JAVA",
      "CL_TYPE_XAR",
      "CL_TYPE_XZ",
      "CL_TYPE_OOXML_WORD",
      "CL_TYPE_OOXML_PPT",
      "CL_TYPE_OOXML_XL",
      "CL_TYPE_INTERNAL",
      "CL_TYPE_HWP3",
      "CL_TYPE_OOXML_HWP",
      "CL_TYPE_PS",
      "CL_TYPE_EGG",
      "CL_TYPE_ONENOTE",
      "CL_TYPE_PYTHON_COMPILED",
      "CL_TYPE_LHA_LZH",
      "CL_TYPE_ALZ",
      "CL_TYPE_MBR",
      "CL_TYPE_HTML",
      "CL_TYPE_MAIL",
      "CL_TYPE_ZIPSFX",
      "CL_TYPE_RARSFX",
      "CL_TYPE_7ZSFX",
      "CL_TYPE_CABSFX",
      "CL_TYPE_ARJSFX",
      "CL_TYPE_NULSFT",
      "CL_TYPE_AUTOIT",
      "CL_TYPE_ISHIELD_MSI",
      "CL_TYPE_ISO9660",
      "CL_TYPE_GPT",
      "CL_TYPE_APM",
      "CL_TYPE_XDP",
      "CL_TYPE_XML_WORD",
      "CL_TYPE_XML_XL",
      "CL_TYPE_XML_HWP",
      "CL_TYPE_HWPOLE2",
      "CL_TYPE_MHTML",
      "CL_TYPE_LNK",
      "CL_TYPE_UDF",
      "CL_TYPE_IGNORED",
  };
  static_assert(std::size(kNames) == static_cast<std::size_t>(ClamType::ignored) + 1);
  return kNames[static_cast<std::size_t>(t)];
}

} // namespace vg
