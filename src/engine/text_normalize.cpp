// text_normalize.cpp — ClamAV 1.4.6's text (textnorm.c) and HTML (htmlnorm.c) normalisers.
#include "engine/text_normalize.hpp"

#include "engine/js_normalize.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace vg {

// ---------------------------------------------------------------------------------------------
// textnorm.c

std::vector<std::uint8_t> normalize_text(std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> out;
  out.reserve(data.size());
  bool space_written = false;
  for (std::uint8_t c : data) {
    if (c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ') {
      if (!space_written)
        out.push_back(' ');
      space_written = true;
    } else if (c < 0x20 || c >= 0x80) {
      continue; // dropped, and does not end a run of white space
    } else {
      if (c >= 'A' && c <= 'Z')
        c = static_cast<std::uint8_t>(c + 32);
      out.push_back(c);
      space_written = false;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// htmlnorm.c

namespace {

constexpr std::size_t kStrLength = 1024; // HTML_STR_LENGTH
constexpr std::size_t kChunkSize = 8192; // cli_readchunk(..., 8192)

bool is_space(std::uint8_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
bool is_digit(std::uint8_t c) {
  return c >= '0' && c <= '9';
}
bool is_xdigit(std::uint8_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alnum(std::uint8_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
std::uint8_t lower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}
int lower_int(int c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// The HTML 4 character entity names (the set ClamAV's entity table resolves), with code points.
const std::unordered_map<std::string_view, std::uint16_t> &entities() {
  static const std::unordered_map<std::string_view, std::uint16_t> table = {
      {"quot", 34},     {"amp", 38},      {"apos", 39},      {"lt", 60},        {"gt", 62},
      {"nbsp", 160},    {"iexcl", 161},   {"cent", 162},     {"pound", 163},    {"curren", 164},
      {"yen", 165},     {"brvbar", 166},  {"sect", 167},     {"uml", 168},      {"copy", 169},
      {"ordf", 170},    {"laquo", 171},   {"not", 172},      {"shy", 173},      {"reg", 174},
      {"macr", 175},    {"deg", 176},     {"plusmn", 177},   {"sup2", 178},     {"sup3", 179},
      {"acute", 180},   {"micro", 181},   {"para", 182},     {"middot", 183},   {"cedil", 184},
      {"sup1", 185},    {"ordm", 186},    {"raquo", 187},    {"frac14", 188},   {"frac12", 189},
      {"frac34", 190},  {"iquest", 191},  {"Agrave", 192},   {"Aacute", 193},   {"Acirc", 194},
      {"Atilde", 195},  {"Auml", 196},    {"Aring", 197},    {"AElig", 198},    {"Ccedil", 199},
      {"Egrave", 200},  {"Eacute", 201},  {"Ecirc", 202},    {"Euml", 203},     {"Igrave", 204},
      {"Iacute", 205},  {"Icirc", 206},   {"Iuml", 207},     {"ETH", 208},      {"Ntilde", 209},
      {"Ograve", 210},  {"Oacute", 211},  {"Ocirc", 212},    {"Otilde", 213},   {"Ouml", 214},
      {"times", 215},   {"Oslash", 216},  {"Ugrave", 217},   {"Uacute", 218},   {"Ucirc", 219},
      {"Uuml", 220},    {"Yacute", 221},  {"THORN", 222},    {"szlig", 223},    {"agrave", 224},
      {"aacute", 225},  {"acirc", 226},   {"atilde", 227},   {"auml", 228},     {"aring", 229},
      {"aelig", 230},   {"ccedil", 231},  {"egrave", 232},   {"eacute", 233},   {"ecirc", 234},
      {"euml", 235},    {"igrave", 236},  {"iacute", 237},   {"icirc", 238},    {"iuml", 239},
      {"eth", 240},     {"ntilde", 241},  {"ograve", 242},   {"oacute", 243},   {"ocirc", 244},
      {"otilde", 245},  {"ouml", 246},    {"divide", 247},   {"oslash", 248},   {"ugrave", 249},
      {"uacute", 250},  {"ucirc", 251},   {"uuml", 252},     {"yacute", 253},   {"thorn", 254},
      {"yuml", 255},    {"OElig", 338},   {"oelig", 339},    {"Scaron", 352},   {"scaron", 353},
      {"Yuml", 376},    {"fnof", 402},    {"circ", 710},     {"tilde", 732},    {"Alpha", 913},
      {"Beta", 914},    {"Gamma", 915},   {"Delta", 916},    {"Epsilon", 917},  {"Zeta", 918},
      {"Eta", 919},     {"Theta", 920},   {"Iota", 921},     {"Kappa", 922},    {"Lambda", 923},
      {"Mu", 924},      {"Nu", 925},      {"Xi", 926},       {"Omicron", 927},  {"Pi", 928},
      {"Rho", 929},     {"Sigma", 931},   {"Tau", 932},      {"Upsilon", 933},  {"Phi", 934},
      {"Chi", 935},     {"Psi", 936},     {"Omega", 937},    {"alpha", 945},    {"beta", 946},
      {"gamma", 947},   {"delta", 948},   {"epsilon", 949},  {"zeta", 950},     {"eta", 951},
      {"theta", 952},   {"iota", 953},    {"kappa", 954},    {"lambda", 955},   {"mu", 956},
      {"nu", 957},      {"xi", 958},      {"omicron", 959},  {"pi", 960},       {"rho", 961},
      {"sigmaf", 962},  {"sigma", 963},   {"tau", 964},      {"upsilon", 965},  {"phi", 966},
      {"chi", 967},     {"psi", 968},     {"omega", 969},    {"thetasym", 977}, {"upsih", 978},
      {"piv", 982},     {"ensp", 8194},   {"emsp", 8195},    {"thinsp", 8201},  {"zwnj", 8204},
      {"zwj", 8205},    {"lrm", 8206},    {"rlm", 8207},     {"ndash", 8211},   {"mdash", 8212},
      {"lsquo", 8216},  {"rsquo", 8217},  {"sbquo", 8218},   {"ldquo", 8220},   {"rdquo", 8221},
      {"bdquo", 8222},  {"dagger", 8224}, {"Dagger", 8225},  {"bull", 8226},    {"hellip", 8230},
      {"permil", 8240}, {"prime", 8242},  {"Prime", 8243},   {"lsaquo", 8249},  {"rsaquo", 8250},
      {"oline", 8254},  {"frasl", 8260},  {"euro", 8364},    {"image", 8465},   {"weierp", 8472},
      {"real", 8476},   {"trade", 8482},  {"alefsym", 8501}, {"larr", 8592},    {"uarr", 8593},
      {"rarr", 8594},   {"darr", 8595},   {"harr", 8596},    {"crarr", 8629},   {"lArr", 8656},
      {"uArr", 8657},   {"rArr", 8658},   {"dArr", 8659},    {"hArr", 8660},    {"forall", 8704},
      {"part", 8706},   {"exist", 8707},  {"empty", 8709},   {"nabla", 8711},   {"isin", 8712},
      {"notin", 8713},  {"ni", 8715},     {"prod", 8719},    {"sum", 8721},     {"minus", 8722},
      {"lowast", 8727}, {"radic", 8730},  {"prop", 8733},    {"infin", 8734},   {"ang", 8736},
      {"and", 8743},    {"or", 8744},     {"cap", 8745},     {"cup", 8746},     {"int", 8747},
      {"there4", 8756}, {"sim", 8764},    {"cong", 8773},    {"asymp", 8776},   {"ne", 8800},
      {"equiv", 8801},  {"le", 8804},     {"ge", 8805},      {"sub", 8834},     {"sup", 8835},
      {"nsub", 8836},   {"sube", 8838},   {"supe", 8839},    {"oplus", 8853},   {"otimes", 8855},
      {"perp", 8869},   {"sdot", 8901},   {"lceil", 8968},   {"rceil", 8969},   {"lfloor", 8970},
      {"rfloor", 8971}, {"lang", 9001},   {"rang", 9002},    {"loz", 9674},     {"spades", 9824},
      {"clubs", 9827},  {"hearts", 9829}, {"diams", 9830},
  };
  return table;
}

// entconv.c u16_normalize: NUL dropped, < 0xff as the byte, ideographic/fullwidth full stops as
// '.', anything else as "&#xhhhh;".
void u16_normalize(std::uint16_t u, std::vector<std::uint8_t> &out) {
  if (!u)
    return;
  if (u < 0xff) {
    out.push_back(static_cast<std::uint8_t>(u));
  } else if (u == 0x3002 || u == 0xff0e || u == 0xfe52) {
    out.push_back('.');
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    const char s[8] = {
        '&',          '#', 'x', kHex[(u >> 12) & 15], kHex[(u >> 8) & 15], kHex[(u >> 4) & 15],
        kHex[u & 15], ';'};
    out.insert(out.end(), s, s + 8);
  }
}

enum class St {
  bad,
  norm,
  eightbit,
  comment,
  char_ref,
  entity_ref_decode,
  skip_ws,
  trim_ws,
  tag,
  tag_arg,
  tag_arg_val,
  tag_arg_equal,
  process_tag,
  char_ref_decode,
  lookfor_screnc,
  jsdecode,
  jsdecode_length,
  jsdecode_decrypt,
  rfc2397_type,
  rfc2397_init,
  rfc2397_data,
  rfc2397_finish,
  rfc2397_esc,
  escape_char,
};

enum class Quoted { single, dbl, none };

struct TagArg {
  std::string name;
  std::optional<std::string> value;
};

class HtmlNormalizer {
public:
  explicit HtmlNormalizer(std::span<const std::uint8_t> in) : in_(in) {}
  HtmlNormalized run();

private:
  bool read_chunk();
  void step();
  void add_arg(const std::string &name, const std::optional<std::string> &value);
  const std::string *arg_value(std::string_view name) const;
  void output_tag();
  void o2(int c) { out_.nocomment.push_back(static_cast<std::uint8_t>(c)); }
  void text(int c) {
    if (notags_)
      out_.notags.push_back(static_cast<std::uint8_t>(c));
  }
  void tag_val_push(int c) {
    if (tag_val_.size() < kStrLength)
      tag_val_.push_back(static_cast<char>(c));
  }
  std::uint8_t cur() const { return pos_ < line_.size() ? line_[pos_] : 0; }

  std::span<const std::uint8_t> in_;
  std::size_t in_off_ = 0;
  std::vector<std::uint8_t> line_; // current chunk (no NUL bytes), processed while cur() != 0
  std::size_t pos_ = 0;
  HtmlNormalized out_;
  bool notags_ = true;

  St state_ = St::norm, next_state_ = St::bad;
  bool binary_ = false, in_script_ = false, text_space_written_ = false, escape_ = false;
  bool hex_ = false;
  Quoted quoted_ = Quoted::none;
  std::int64_t value_ = 0;
  unsigned long length_ = 0;
  std::string tag_, tag_arg_, tag_val_;
  std::string entity_;
  std::vector<TagArg> args_;
  std::uint32_t mbchar_ = 0, mbchar2_ = 0;
  std::vector<std::uint8_t> *data_uri_ = nullptr;
  // JScript.Encode ("Windows Script Encoder") decoding state.
  bool in_screnc_ = false;
  std::uint32_t screnc_length_ = 0;
  std::uint8_t screnc_table_pos_ = 0;
  void screnc_decode();
  // The <script> being normalised (htmlnorm.c js_state, js_begin, js_end): positions in line_.
  std::optional<JsNormalizer> js_;
  std::optional<std::size_t> js_begin_, js_end_;
  // js_process(): feeds the script text of the current chunk; ends the script after
  // "</script>".
  void js_process();
  void js_finish();
};

void HtmlNormalizer::js_process() {
  const std::size_t begin = js_begin_.value_or(0);
  const std::size_t end = std::min(js_end_.value_or(pos_), line_.size());
  if (end > begin)
    js_->process(std::span<const std::uint8_t>(line_.data() + begin, end - begin));
  if (!in_script_)
    js_finish();
  js_begin_.reset();
  js_end_.reset();
}

void HtmlNormalizer::js_finish() {
  js_->finish(out_.javascript);
  js_.reset();
}

// The Windows Script Encoder substitution: which of three tables decodes the n-th character
// (mod 64), and the tables themselves for characters below 0x80 (0xff marks an escape).
constexpr std::uint8_t kScrencOrder[64] = {
    0, 2, 1, 0, 2, 1, 2, 1, 1, 2, 1, 2, 0, 1, 2, 1, 0, 1, 2, 1, 0, 0, 2, 1, 1, 2, 0, 1, 2, 1, 1, 2,
    0, 0, 1, 2, 1, 2, 1, 0, 1, 0, 0, 2, 1, 0, 1, 2, 0, 1, 2, 1, 0, 0, 2, 1, 1, 0, 0, 2, 1, 0, 1, 2};
constexpr std::uint8_t kScrencTables[3][128] = {
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x57, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
     0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D,
     0x1E, 0x1F, 0x2E, 0x47, 0x7A, 0x56, 0x42, 0x6A, 0x2F, 0x26, 0x49, 0x41, 0x34, 0x32, 0x5B,
     0x76, 0x72, 0x43, 0x38, 0x39, 0x70, 0x45, 0x68, 0x71, 0x4F, 0x09, 0x62, 0x44, 0x23, 0x75,
     0x3C, 0x7E, 0x3E, 0x5E, 0xFF, 0x77, 0x4A, 0x61, 0x5D, 0x22, 0x4B, 0x6F, 0x4E, 0x3B, 0x4C,
     0x50, 0x67, 0x2A, 0x7D, 0x74, 0x54, 0x2B, 0x2D, 0x2C, 0x30, 0x6E, 0x6B, 0x66, 0x35, 0x25,
     0x21, 0x64, 0x4D, 0x52, 0x63, 0x3F, 0x7B, 0x78, 0x29, 0x28, 0x73, 0x59, 0x33, 0x7F, 0x6D,
     0x55, 0x53, 0x7C, 0x3A, 0x5F, 0x65, 0x46, 0x58, 0x31, 0x69, 0x6C, 0x5A, 0x48, 0x27, 0x5C,
     0x3D, 0x24, 0x79, 0x37, 0x60, 0x51, 0x20, 0x36},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x7B, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
     0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D,
     0x1E, 0x1F, 0x32, 0x30, 0x21, 0x29, 0x5B, 0x38, 0x33, 0x3D, 0x58, 0x3A, 0x35, 0x65, 0x39,
     0x5C, 0x56, 0x73, 0x66, 0x4E, 0x45, 0x6B, 0x62, 0x59, 0x78, 0x5E, 0x7D, 0x4A, 0x6D, 0x71,
     0x3C, 0x60, 0x3E, 0x53, 0xFF, 0x42, 0x27, 0x48, 0x72, 0x75, 0x31, 0x37, 0x4D, 0x52, 0x22,
     0x54, 0x6A, 0x47, 0x64, 0x2D, 0x20, 0x7F, 0x2E, 0x4C, 0x5D, 0x7E, 0x6C, 0x6F, 0x79, 0x74,
     0x43, 0x26, 0x76, 0x25, 0x24, 0x2B, 0x28, 0x23, 0x41, 0x34, 0x09, 0x2A, 0x44, 0x3F, 0x77,
     0x3B, 0x55, 0x69, 0x61, 0x63, 0x50, 0x67, 0x51, 0x49, 0x4F, 0x46, 0x68, 0x7C, 0x36, 0x70,
     0x6E, 0x7A, 0x2F, 0x5F, 0x4B, 0x5A, 0x2C, 0x57},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x6E, 0x0A, 0x0B, 0x0C, 0x06, 0x0E,
     0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D,
     0x1E, 0x1F, 0x2D, 0x75, 0x52, 0x60, 0x71, 0x5E, 0x49, 0x5C, 0x62, 0x7D, 0x29, 0x36, 0x20,
     0x7C, 0x7A, 0x7F, 0x6B, 0x63, 0x33, 0x2B, 0x68, 0x51, 0x66, 0x76, 0x31, 0x64, 0x54, 0x43,
     0x3C, 0x3A, 0x3E, 0x7E, 0xFF, 0x45, 0x2C, 0x2A, 0x74, 0x27, 0x37, 0x44, 0x79, 0x59, 0x2F,
     0x6F, 0x26, 0x72, 0x6A, 0x39, 0x7B, 0x3F, 0x38, 0x77, 0x67, 0x53, 0x47, 0x34, 0x78, 0x5D,
     0x30, 0x23, 0x5A, 0x5B, 0x6C, 0x48, 0x55, 0x70, 0x69, 0x2E, 0x4C, 0x21, 0x24, 0x4E, 0x50,
     0x09, 0x56, 0x73, 0x35, 0x61, 0x4B, 0x58, 0x3B, 0x57, 0x22, 0x6D, 0x4D, 0x25, 0x28, 0x46,
     0x4A, 0x32, 0x41, 0x3D, 0x5F, 0x4F, 0x42, 0x65},
};

int base64_value(std::uint8_t c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

// The encoded length (or checksum) field: six base64 characters in ClamAV's bit order, computed
// with its signed arithmetic (a non-base64 character contributes -1 in places).
std::uint32_t screnc_number(const std::uint8_t *p) {
  const int b0 = base64_value(p[0]), b1 = base64_value(p[1]), b2 = base64_value(p[2]);
  const int b3 = base64_value(p[3]), b4 = base64_value(p[4]), b5 = base64_value(p[5]);
  std::uint32_t v = 0;
  v += static_cast<std::uint32_t>(b0 < 0 ? 0 : b0 << 2);
  v += static_cast<std::uint32_t>(b1 >> 4);
  v += static_cast<std::uint32_t>((b1 & 0x0f) << 12);
  v += static_cast<std::uint32_t>(((b2 >> 2) < 0 ? 0 : (b2 >> 2)) << 8);
  v += static_cast<std::uint32_t>((b2 & 0x03) << 22);
  v += static_cast<std::uint32_t>(b3 < 0 ? 0 : b3 << 16);
  v += static_cast<std::uint32_t>(b4 < 0 ? 0 : b4 << 2) << 24;
  v += static_cast<std::uint32_t>(((b5 >> 4) < 0 ? 0 : (b5 >> 4))) << 24;
  return v;
}

// screnc_decode(): decodes the rest of the current chunk in place from the read position (the
// decoded text is then normalised as script); when the encoded length runs out, the checksum and
// the "^#~@" terminator are skipped and the remaining text follows the decoded text.
void HtmlNormalizer::screnc_decode() {
  std::size_t src = pos_, dst = pos_;
  const std::size_t end = line_.size();
  while (screnc_length_ > 0 && src < end) {
    std::uint8_t c = line_[src];
    if (c == '\n' || c == '\r') {
      ++src;
      continue;
    }
    if (c < 0x80) {
      std::uint8_t value = kScrencTables[kScrencOrder[screnc_table_pos_]][c];
      if (value == 0xff) { // escape: the next character says what it stands for
        ++src;
        --screnc_length_;
        const std::uint8_t e = src < end ? line_[src] : 0;
        if (e == 0)
          --src;
        else if (e == 0x21)
          value = 0x3c;
        else if (e == 0x23)
          value = 0x0d;
        else if (e == 0x24)
          value = 0x40;
        else if (e == 0x26)
          value = 0x0a;
        else if (e == 0x2a)
          value = 0x3e;
      }
      line_[dst++] = value;
      screnc_table_pos_ = static_cast<std::uint8_t>((screnc_table_pos_ + 1) % 64);
    } else {
      line_[dst++] = line_[src++];
      if (src >= end) { // a lead byte at the end of the chunk
        --dst;
        break;
      }
      line_[dst++] = line_[src];
    }
    ++src;
    --screnc_length_;
  }
  if (!screnc_length_) {
    if (end - std::min(src, end) >= 12)
      src += 12; // checksum (8) and "^#~@"
    src = std::min(src, end);
    line_.erase(line_.begin() + static_cast<std::ptrdiff_t>(dst),
                line_.begin() + static_cast<std::ptrdiff_t>(src));
  } else {
    line_.resize(dst);
  }
}

// cli_readchunk on a memory area: up to 8191 bytes with NUL bytes skipped, cut back after the last
// white space when more data follows that does not start with white space.
bool HtmlNormalizer::read_chunk() {
  line_.clear();
  pos_ = 0;
  const std::size_t avail = in_.size() - in_off_;
  std::size_t chunk_len = std::min(avail, kChunkSize - 1);
  if (!chunk_len)
    return false;
  const std::uint8_t *start = in_.data() + in_off_;
  const std::uint8_t *end = in_.data() + in_.size();
  const std::uint8_t *ptr;
  const void *nul = std::memchr(start, 0, chunk_len);
  if (!nul) {
    line_.assign(start, start + chunk_len);
    in_off_ += chunk_len;
    ptr = start + chunk_len;
  } else {
    ptr = static_cast<const std::uint8_t *>(nul);
    line_.assign(start, ptr);
    chunk_len = line_.size();
    while (ptr < end && chunk_len < kChunkSize - 1) {
      const std::uint8_t c = *ptr++;
      if (c) {
        line_.push_back(c);
        ++chunk_len;
      }
    }
    in_off_ += static_cast<std::size_t>(ptr - start);
  }
  if (ptr < end && !is_space(*ptr) && !line_.empty()) {
    std::size_t len = line_.size();
    while (!is_space(line_[len - 1]) && len > 1)
      --len;
    if (len != 1 && len < line_.size()) {
      const std::size_t back = line_.size() - len;
      line_.resize(len);
      in_off_ = in_off_ >= back ? in_off_ - back : 0;
    }
  }
  return true;
}

void HtmlNormalizer::add_arg(const std::string &name, const std::optional<std::string> &value) {
  TagArg a{name, std::nullopt};
  if (value) {
    // ClamAV copies the value as a C string: it ends at the first NUL (e.g. from "&#0;").
    const std::string v = value->substr(0, value->find('\0'));
    if (!v.empty() && v[0] == '"') {
      std::string inner = v.substr(1);
      if (!inner.empty())
        inner.pop_back();
      a.value = inner;
    } else {
      a.value = v;
    }
  }
  args_.push_back(std::move(a));
}

const std::string *HtmlNormalizer::arg_value(std::string_view name) const {
  for (const auto &a : args_)
    if (a.name == name)
      return a.value ? &*a.value : nullptr;
  return nullptr;
}

void HtmlNormalizer::output_tag() {
  o2('<');
  for (char c : tag_)
    o2(static_cast<std::uint8_t>(c));
  for (const auto &a : args_) {
    o2(' ');
    for (char c : a.name)
      o2(static_cast<std::uint8_t>(c));
    if (a.value) {
      o2('=');
      o2('"');
      for (char c : *a.value)
        o2(lower(static_cast<std::uint8_t>(c)));
      o2('"');
    }
  }
  o2('>');
}

bool ascii_iequal(const std::string &a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(static_cast<std::uint8_t>(a[i])) != lower(static_cast<std::uint8_t>(b[i])))
      return false;
  return true;
}

// One transition of the state machine at the current input position (mirrors the switch in
// cli_html_normalise; each case consumes at most one byte).
void HtmlNormalizer::step() {
  const std::uint8_t c = cur();
  switch (state_) {
  case St::bad:
  case St::lookfor_screnc:
    break; // handled by the caller
  case St::skip_ws:
    if (is_space(c)) {
      ++pos_;
    } else {
      state_ = next_state_;
      next_state_ = St::bad;
    }
    break;
  case St::trim_ws:
    if (is_space(c)) {
      ++pos_;
    } else {
      if (!in_script_)
        o2(' ');
      state_ = next_state_;
      next_state_ = St::bad;
    }
    break;
  case St::eightbit:
    if (c < 0x80 || mbchar_ >= 0x10000) {
      if (mbchar_ == 0xE38082 || mbchar_ == 0xEFBC8E || mbchar_ == 0xEFB992 ||
          (mbchar_ == 0xA1 && (c == 0x43 || c == 0x44 || c == 0x4F))) {
        o2('.');
        text('.');
        if (mbchar_ == 0xA1) {
          ++pos_;
          mbchar_ = 0;
          break;
        }
      } else {
        const std::uint8_t c0 = static_cast<std::uint8_t>(mbchar_ >> 16);
        const std::uint8_t c1 = static_cast<std::uint8_t>(mbchar_ >> 8);
        const std::uint8_t c2 = static_cast<std::uint8_t>(mbchar_);
        if (c0) {
          o2(c0);
          text(c0);
        }
        if (c0 || c1) {
          o2(c1);
          text(c1);
        }
        o2(c2);
        text(c1); // sic: ClamAV writes the middle byte to notags here
      }
      mbchar_ = 0;
      state_ = next_state_;
      next_state_ = St::norm;
    } else {
      mbchar_ = (mbchar_ << 8) | c;
      ++pos_;
    }
    break;
  case St::norm:
    if (c == '<') {
      o2('<');
      if (!in_script_ && !text_space_written_) {
        text(' ');
        text_space_written_ = true;
      }
      ++pos_;
      state_ = St::skip_ws;
      tag_.clear();
      next_state_ = St::tag;
    } else if (is_space(c)) {
      if (!text_space_written_ && !in_script_) {
        text(' ');
        text_space_written_ = true;
      }
      state_ = St::trim_ws;
      next_state_ = St::norm;
    } else if (c == '&') {
      if (!text_space_written_ && !in_script_) {
        text(' ');
        text_space_written_ = true;
      }
      state_ = St::char_ref;
      next_state_ = St::norm;
      ++pos_;
    } else if (c >= 0x80) {
      state_ = St::eightbit;
      next_state_ = St::norm;
      mbchar_ = c;
      ++pos_;
    } else {
      std::uint8_t l = lower(c);
      if (in_script_ && l == '\'')
        l = '"';
      o2(l);
      if (!in_script_) {
        if (c < 0x20) {
          if (!text_space_written_) {
            text(' ');
            text_space_written_ = true;
          }
        } else {
          text(l);
          text_space_written_ = false;
        }
      }
      ++pos_;
    }
    break;
  case St::tag:
    if (tag_.empty() && c == '!') {
      if (in_script_)
        o2('!');
      else if (!out_.nocomment.empty())
        out_.nocomment.pop_back(); // take back the '<'
      state_ = St::comment;
      next_state_ = St::bad;
      ++pos_;
    } else if (c == '>') {
      o2('>');
      ++pos_;
      state_ = St::skip_ws;
      next_state_ = St::process_tag;
    } else if (!is_space(c)) {
      o2(lower(c));
      if (in_script_ && tag_.empty() && c != '/')
        state_ = St::norm;
      if (tag_.size() < kStrLength)
        tag_.push_back(static_cast<char>(lower(c)));
      ++pos_;
    } else {
      state_ = St::skip_ws;
      tag_arg_.clear();
      next_state_ = !in_script_ ? St::tag_arg : St::process_tag;
    }
    break;
  case St::tag_arg:
    if (c == '=') {
      o2('=');
      ++pos_;
      state_ = St::skip_ws;
      escape_ = false;
      quoted_ = Quoted::none;
      tag_val_.clear();
      next_state_ = St::tag_arg_val;
    } else if (is_space(c)) {
      ++pos_;
      state_ = St::skip_ws;
      next_state_ = St::tag_arg_equal;
    } else if (c == '>') {
      o2('>');
      if (!tag_arg_.empty())
        add_arg(tag_arg_, std::nullopt);
      ++pos_;
      state_ = St::process_tag;
      next_state_ = St::bad;
    } else {
      if (tag_arg_.empty())
        o2(' ');
      o2(lower(c));
      if (tag_arg_.size() < kStrLength)
        tag_arg_.push_back(static_cast<char>(lower(c)));
      ++pos_;
    }
    break;
  case St::tag_arg_equal:
    if (c == '=') {
      o2('=');
      ++pos_;
      state_ = St::skip_ws;
      escape_ = false;
      quoted_ = Quoted::none;
      tag_val_.clear();
      next_state_ = St::tag_arg_val;
    } else {
      if (!tag_arg_.empty())
        add_arg(tag_arg_, std::nullopt);
      tag_arg_.clear();
      state_ = St::tag_arg;
      next_state_ = St::bad;
    }
    break;
  case St::tag_arg_val:
    if (tag_val_ == "data:" || tag_val_ == "\"data:") {
      // RFC 2397 inline data: take back the ':' and collect the data into its own file.
      if (!out_.nocomment.empty())
        out_.nocomment.pop_back();
      if (quoted_ != Quoted::none)
        o2('"');
      tag_val_.clear();
      state_ = St::rfc2397_type;
      next_state_ = St::tag_arg;
      escape_ = cur() == '\\';
      break;
    }
    if (c == '&') {
      state_ = St::char_ref;
      next_state_ = St::tag_arg_val;
      ++pos_;
    } else if (c == '\'' || c == '"') {
      const Quoted mine = c == '\'' ? Quoted::single : Quoted::dbl;
      if (tag_val_.empty()) {
        quoted_ = mine;
        o2('"');
        tag_val_push('"');
        ++pos_;
      } else if (!escape_ && quoted_ == mine) {
        o2('"');
        tag_val_push('"');
        add_arg(tag_arg_, tag_val_);
        ++pos_;
        state_ = St::skip_ws;
        tag_arg_.clear();
        next_state_ = St::tag_arg;
      } else {
        o2('"');
        tag_val_push('"');
        ++pos_;
      }
    } else if (is_space(c) || c == '>') {
      if (quoted_ == Quoted::none) {
        add_arg(tag_arg_, tag_val_);
        state_ = St::skip_ws;
        tag_arg_.clear();
        next_state_ = St::tag_arg;
      } else {
        o2(c);
        tag_val_push(is_space(c) ? ' ' : '>');
        state_ = St::skip_ws;
        escape_ = false;
        quoted_ = Quoted::none;
        next_state_ = St::tag_arg_val;
        ++pos_;
      }
    } else {
      if (mbchar2_ && (c < 0x80 || mbchar2_ >= 0x10000)) {
        if (mbchar2_ == 0xE38082 || mbchar2_ == 0xEFBC8E || mbchar2_ == 0xEFB992 ||
            (mbchar2_ == 0xA1 && (c == 0x43 || c == 0x44 || c == 0x4F))) {
          o2('.');
          tag_val_push('.');
          if (mbchar2_ == 0xA1) {
            ++pos_;
            mbchar2_ = 0;
            break; // ClamAV `continue`s here, skipping the escape update below
          }
        } else {
          const std::uint8_t c0 = static_cast<std::uint8_t>(mbchar2_ >> 16);
          const std::uint8_t c1 = static_cast<std::uint8_t>(mbchar2_ >> 8);
          const std::uint8_t c2 = static_cast<std::uint8_t>(mbchar2_);
          if (c0)
            o2(c0);
          if (c0 || c1)
            o2(c1);
          o2(c2);
          if (c0)
            tag_val_push(c0);
          if (c0 || c1)
            tag_val_push(c1);
          tag_val_push(c2);
        }
        mbchar2_ = 0;
      }
      if (c >= 0x80) {
        mbchar2_ = (mbchar2_ << 8) | c;
      } else {
        o2(lower(c));
        tag_val_push(c);
      }
      ++pos_;
    }
    escape_ = cur() == '\\';
    break;
  case St::comment:
    if (in_script_ && !is_space(c)) {
      std::uint8_t l = lower(c);
      if (l == '\'')
        l = '"';
      o2(l);
    }
    if (c == '>') {
      state_ = St::skip_ws;
      next_state_ = St::norm;
    }
    ++pos_;
    break;
  case St::process_tag: {
    state_ = St::skip_ws;
    next_state_ = St::norm;
    if (!tag_.empty() && tag_[0] == '/') {
      if (tag_ == "/script") {
        in_script_ = false;
        if (js_) {
          js_end_ = pos_;
          js_process();
        }
      }
    } else if (tag_ == "script") {
      const std::string *lang = arg_value("language");
      if (lang &&
          (ascii_iequal(*lang, "jscript.encode") || ascii_iequal(*lang, "vbscript.encode"))) {
        const bool js = ascii_iequal(*lang, "jscript.encode");
        for (auto &a : args_)
          if (a.name == "language" && a.value) {
            a.value = js ? "javascript" : "vbscript";
            break;
          }
        state_ = St::skip_ws;
        next_state_ = St::jsdecode;
        output_tag();
      }
      in_script_ = true;
      if (!js_) {
        js_.emplace();
        js_begin_ = pos_;
        js_end_.reset();
      }
    } else if (tag_ == "a" || tag_ == "img") {
      const std::string *v = arg_value(tag_ == "a" ? "href" : "src");
      if (v && !v->empty()) {
        for (char ch : *v)
          text(static_cast<std::uint8_t>(ch));
        text(' ');
        text_space_written_ = true;
      }
    }
    args_.clear();
    break;
  }
  case St::char_ref:
    if (c == '#') {
      value_ = 0;
      hex_ = false;
      state_ = St::char_ref_decode;
      ++pos_;
    } else {
      state_ = St::entity_ref_decode;
    }
    break;
  case St::entity_ref_decode:
    if (c == ';') {
      auto it = entities().find(entity_);
      if (it != entities().end()) {
        std::vector<std::uint8_t> norm;
        u16_normalize(it->second, norm);
        for (std::uint8_t b : norm) {
          o2(b);
          if (next_state_ == St::tag_arg_val)
            tag_val_push(b);
        }
      } else {
        o2('&');
        if (next_state_ == St::tag_arg_val)
          tag_val_push('&');
        for (char e : entity_) {
          const std::uint8_t l = lower(static_cast<std::uint8_t>(e));
          o2(l);
          if (next_state_ == St::tag_arg_val)
            tag_val_push(l);
        }
        if (next_state_ == St::tag_arg_val)
          tag_val_push(';');
        o2(';');
      }
      entity_.clear();
      state_ = next_state_;
      next_state_ = St::bad;
      ++pos_;
    } else if ((is_alnum(c) || c == '_' || c == ':' || c == '-') && entity_.size() < kStrLength) {
      entity_.push_back(static_cast<char>(c));
      ++pos_;
    } else {
      if (next_state_ == St::tag_arg_val)
        tag_val_push('&');
      o2('&');
      for (char e : entity_) {
        const std::uint8_t l = lower(static_cast<std::uint8_t>(e));
        o2(l);
        if (next_state_ == St::tag_arg_val)
          tag_val_push(l);
      }
      state_ = next_state_;
      next_state_ = St::bad;
      entity_.clear();
    }
    break;
  case St::char_ref_decode:
    if (value_ == 0 && (c == 'x' || c == 'X')) {
      hex_ = true;
      ++pos_;
    } else if (c == ';') {
      if (next_state_ == St::tag_arg_val)
        tag_val_push(static_cast<int>(value_ & 0xff));
      if (value_ < 0x80) {
        o2(lower_int(static_cast<int>(value_)));
      } else {
        std::vector<std::uint8_t> norm;
        u16_normalize(static_cast<std::uint16_t>(value_), norm);
        for (std::uint8_t b : norm)
          o2(b);
      }
      state_ = next_state_;
      next_state_ = St::bad;
      ++pos_;
    } else if (is_digit(c) || (hex_ && is_xdigit(c))) {
      if (hex_ && (value_ >> 32) * 16 < INT32_MAX) {
        value_ *= 16;
      } else if ((value_ >> 32) * 10 < INT32_MAX) {
        value_ *= 10;
      } else {
        o2(static_cast<int>(value_ & 0xff));
        state_ = next_state_;
        next_state_ = St::bad;
        ++pos_;
        break;
      }
      const std::int64_t inc = is_digit(c) ? c - '0' : lower(c) - 'a' + 10;
      if (value_ > INT64_MAX - inc) {
        o2(static_cast<int>(value_ & 0xff));
        state_ = next_state_;
        next_state_ = St::bad;
        ++pos_;
        break;
      }
      value_ += inc;
      ++pos_;
    } else {
      o2(static_cast<int>(value_ & 0xff));
      state_ = next_state_;
      next_state_ = St::bad;
    }
    break;
  case St::jsdecode:
    // Copied as is up to the "#@~^" start marker (which ClamAV turns into "//" for the JS parser).
    if (pos_ + 4 <= line_.size() && std::memcmp(line_.data() + pos_, "#@~^", 4) == 0) {
      line_[pos_] = '/'; // in place, as ClamAV: the JS normaliser reads "//~^..."
      line_[pos_ + 1] = '/';
      pos_ += 4;
      state_ = St::jsdecode_length;
      next_state_ = St::bad;
    } else {
      o2(lower(c));
      ++pos_;
    }
    break;
  case St::jsdecode_length:
    if (line_.size() - pos_ < 8) {
      state_ = St::norm;
      next_state_ = St::bad;
      break;
    }
    screnc_length_ = screnc_number(line_.data() + pos_);
    screnc_table_pos_ = 0;
    state_ = St::jsdecode_decrypt;
    in_screnc_ = true;
    next_state_ = St::bad;
    line_[pos_ + 7] = '\n'; // ClamAV: "for JS normalizer" (ends the "//~^..." comment)
    pos_ += 8;
    break;
  case St::jsdecode_decrypt:
    screnc_decode();
    if (!screnc_length_)
      in_screnc_ = false;
    state_ = St::norm;
    next_state_ = St::bad;
    break;
  case St::rfc2397_type:
    if (c == '\'' || c == '"') {
      const Quoted mine = c == '\'' ? Quoted::single : Quoted::dbl;
      if (!escape_ && quoted_ == mine) {
        ++pos_;
        state_ = St::skip_ws;
        tag_arg_.clear();
        next_state_ = St::tag_arg;
      } else {
        tag_val_push('"');
        ++pos_;
      }
    } else if (is_space(c) || c == '>') {
      if (quoted_ == Quoted::none) {
        state_ = St::skip_ws;
        tag_arg_.clear();
        next_state_ = St::tag_arg;
      } else {
        tag_val_push(is_space(c) ? ' ' : '>');
        state_ = St::skip_ws;
        escape_ = false;
        quoted_ = Quoted::none;
        next_state_ = St::rfc2397_type;
        ++pos_;
      }
    } else if (c == ',') {
      state_ = St::rfc2397_init;
      escape_ = false;
      next_state_ = St::bad;
      ++pos_;
    } else {
      tag_val_push(lower(c));
      ++pos_;
    }
    escape_ = cur() == '\\';
    break;
  case St::rfc2397_init: {
    out_.data_uris.emplace_back();
    data_uri_ = &out_.data_uris.back();
    auto put = [this](std::string_view s) {
      data_uri_->insert(data_uri_->end(), s.begin(), s.end());
    };
    put("From html-normalise\n");
    put("Content-type: ");
    put(tag_val_);
    put("\n");
    if (tag_val_.find(";base64") != std::string::npos)
      put("Content-transfer-encoding: base64\n");
    put("\n");
    state_ = St::rfc2397_data;
    binary_ = true;
    break;
  }
  case St::rfc2397_data:
    if (c == '&') {
      state_ = St::char_ref;
      next_state_ = St::rfc2397_data;
      ++pos_;
    } else if (c == '%') {
      length_ = 0;
      value_ = 0;
      state_ = St::escape_char;
      next_state_ = St::rfc2397_esc;
      ++pos_;
    } else if ((c == '\'' && !escape_ && quoted_ == Quoted::single) ||
               (c == '"' && !escape_ && quoted_ == Quoted::dbl) ||
               ((is_space(c) || c == '>') && quoted_ == Quoted::none)) {
      state_ = St::rfc2397_finish;
      ++pos_;
    } else {
      if (data_uri_)
        data_uri_->push_back(c);
      ++pos_;
    }
    escape_ = cur() == '\\';
    break;
  case St::rfc2397_finish:
    data_uri_ = nullptr;
    state_ = St::skip_ws;
    escape_ = false;
    quoted_ = Quoted::none;
    next_state_ = St::tag_arg;
    binary_ = false;
    break;
  case St::rfc2397_esc:
    if (data_uri_) {
      if (length_ == 2) {
        data_uri_->push_back(static_cast<std::uint8_t>(value_));
      } else if (length_ == 1) {
        data_uri_->push_back('%');
        data_uri_->push_back(static_cast<std::uint8_t>(value_ + '0'));
      } else {
        data_uri_->push_back('%');
      }
    }
    state_ = St::rfc2397_data;
    break;
  case St::escape_char:
    if ((value_ >> 32) * 16 < INT32_MAX) {
      value_ *= 16;
    } else {
      state_ = next_state_;
      next_state_ = St::bad;
      ++pos_;
      break;
    }
    ++length_;
    if (is_xdigit(c))
      value_ += is_digit(c) ? c - '0' : lower(c) - 'a' + 10;
    else
      state_ = next_state_;
    if (length_ == 2)
      state_ = next_state_;
    ++pos_;
    break;
  }
}

HtmlNormalized HtmlNormalizer::run() {
  notags_ = in_.size() <= kMaxHtmlNoTags;
  bool have = read_chunk();
  while (have) {
    while (pos_ < line_.size() && is_space(line_[pos_]))
      ++pos_;
    while (cur()) {
      if (!binary_ && cur() == '\n') {
        line_[pos_] = ' ';
        continue;
      }
      if (!binary_ && cur() == '\r') {
        ++pos_;
        continue;
      }
      if (state_ == St::bad) { // ClamAV aborts normalisation here, keeping the script so far
        if (js_)
          js_finish();
        return std::move(out_);
      }
      step();
    }
    if (js_)
      js_process();
    have = read_chunk();
    if (in_screnc_) {
      state_ = St::jsdecode_decrypt;
      next_state_ = St::bad;
    }
    if (next_state_ == state_)
      next_state_ = St::bad; // ClamAV's guard against an endless loop
  }
  if (js_)
    js_finish();
  // Unfinished entity at the end of the input.
  if (!entity_.empty()) {
    auto it = entities().find(entity_);
    if (it != entities().end()) {
      std::vector<std::uint8_t> norm;
      u16_normalize(it->second, norm);
      out_.nocomment.insert(out_.nocomment.end(), norm.begin(), norm.end());
    } else {
      o2('&');
      for (char e : entity_)
        o2(lower(static_cast<std::uint8_t>(e)));
    }
  }
  return std::move(out_);
}

} // namespace

HtmlNormalized normalize_html(std::span<const std::uint8_t> data) {
  HtmlNormalizer n(data);
  return n.run();
}

// ---------------------------------------------------------------------------------------------
// Which buffers ClamAV scans.

std::vector<ScanBuffer> scan_buffers(std::span<const std::uint8_t> data, ClamType type) {
  std::vector<ScanBuffer> out;
  auto add = [&](std::string label, bool raw, bool hashed, std::vector<std::uint8_t> bytes,
                 std::vector<TargetType> targets) {
    ScanBuffer b;
    b.label = std::move(label);
    b.raw = raw;
    b.hashed = hashed;
    b.data = std::move(bytes);
    b.targets = std::move(targets);
    out.push_back(std::move(b));
  };
  // The first raw pass is where ClamAV checks the whole-file hashes.
  auto raw = [&](std::vector<TargetType> targets) {
    const bool first =
        std::none_of(out.begin(), out.end(), [](const ScanBuffer &b) { return b.raw; });
    add("raw", true, first, {}, std::move(targets));
  };
  auto html = [&]() {
    if (data.size() > kMaxHtmlNormalize)
      return;
    HtmlNormalized h = normalize_html(data);
    add("html-nocomment", false, true, std::move(h.nocomment), {TargetType::any, TargetType::html});
    if (data.size() <= kMaxHtmlNoTags)
      add("html-notags", false, true, std::move(h.notags), {TargetType::any, TargetType::html});
    if (!h.javascript.empty())
      add("javascript", false, true, std::move(h.javascript),
          {TargetType::any, TargetType::html, TargetType::ascii});
  };
  const bool text = type == ClamType::text_ascii || type == ClamType::text_utf8 ||
                    type == ClamType::text_utf16le || type == ClamType::text_utf16be;
  switch (type) {
  case ClamType::ignored:
    return out;
  case ClamType::html:
  case ClamType::html_utf16:
    if (type == ClamType::html_utf16) {
      // Only CL_TYPE_HTML skips the raw scan; HTML_UTF16 is then converted with cli_utf16toascii
      // and normalised as HTML.
      raw({TargetType::any});
      std::vector<std::uint8_t> ascii;
      for (std::size_t i = 0; i + 1 < data.size(); i += 2)
        ascii.push_back(static_cast<std::uint8_t>((data[i + 1] << 4) + data[i]));
      for (auto &b : scan_buffers(ascii, ClamType::html))
        out.push_back(std::move(b));
      return out;
    }
    html();
    return out;
  case ClamType::binary_data:
    raw({TargetType::any});
    raw({TargetType::any, TargetType::other});
    return out;
  default:
    break;
  }
  if (!text) {
    if (auto t = clamav_target_of(type))
      raw({TargetType::any, *t});
    else
      raw({TargetType::any});
    // A graphics file with an HTML marker is also normalised as HTML (polyglots).
    if (type == ClamType::graphics || type == ClamType::gif || type == ClamType::png ||
        type == ClamType::jpeg || type == ClamType::tiff) {
      if (recognize_embedded_type(data) == ClamType::html)
        html();
    }
    return out;
  }
  raw({TargetType::any});
  std::optional<ClamType> seen;
  if (type == ClamType::text_ascii)
    seen = recognize_embedded_type(data);
  if (seen == ClamType::html) {
    html();
    return out;
  }
  if (data.size() <= kMaxScriptNormalize)
    add("normalized-text", false, false, normalize_text(data),
        {TargetType::any, TargetType::ascii});
  if (seen == ClamType::mail)
    raw({TargetType::any, TargetType::mail});
  return out;
}

} // namespace vg
