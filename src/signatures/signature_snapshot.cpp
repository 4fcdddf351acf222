#include "signatures/signature_snapshot.hpp"

#include "common/digest.hpp"
#include "common/mapped_file.hpp"
#include "signatures/cvd_container.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <elf.h>
#include <exception>
#include <limits>
#include <link.h>
#include <thread>
#include <type_traits>
#include <unistd.h>

namespace vg {

// The snapshot format (integers little-endian, as the machine stores them: x86-64 and AArch64):
//   "VGSIGSNP" u32 version, then the set's parts in the order write_set() writes them. A string
//   is u32 length + bytes; a vector is u32 count + elements; an optional is u8 0/1 + value; a bool
//   is u8 0/1; an enum is u8. Hash tables are written entry by entry (no padding bytes).
namespace {

constexpr char kMagic[8] = {'V', 'G', 'S', 'I', 'G', 'S', 'N', 'P'};
// Whatever any parsed expression can be (its parser's limit); a larger tree in a snapshot is
// damage (and would make the engine's recursion deep).
constexpr std::size_t kMaxExpressionNodes = LogicalExpression::kMaxNodes;

// Changing one of these structures changes the snapshot: update write/read and the version.
static_assert(sizeof(OffsetSpec) == 24);
static_assert(sizeof(PcreFlags) == 10);
static_assert(sizeof(BodyPatternOptions) == 4);
static_assert(sizeof(TdbRange) == 8);
static_assert(sizeof(LogicalExpression::Node) == 16);

// Appends to `out`; a counting writer only adds up the sizes, so that the real one can reserve
// the exact size (a 50 MB snapshot grown by doubling would briefly hold twice that).
class Writer {
public:
  explicit Writer(bool counting = false) : counting_(counting) {}
  std::vector<std::uint8_t> out;
  std::size_t counted() const { return counted_; }
  std::size_t pos() const { return counting_ ? counted_ : out.size(); }
  // Zero bytes up to the next multiple of `align` from the snapshot's start, after a u8 telling
  // how many: what follows can be used in place from a suitably aligned copy of the snapshot.
  void pad_to(std::size_t align) {
    const auto n = static_cast<std::uint8_t>((align - (pos() + 1) % align) % align);
    u8(n);
    for (std::uint8_t i = 0; i < n; ++i)
      u8(0);
  }

  void raw(const void *p, std::size_t n) {
    if (counting_) {
      counted_ += n;
      return;
    }
    auto b = static_cast<const std::uint8_t *>(p);
    out.insert(out.end(), b, b + n);
  }
  template <typename T> void num(T v) {
    static_assert(std::is_integral_v<T>);
    raw(&v, sizeof v);
  }
  void u8(std::uint8_t v) {
    if (counting_)
      ++counted_;
    else
      out.push_back(v);
  }
  void flag(bool v) { u8(v ? 1 : 0); }
  template <typename E> void en(E e) { u8(static_cast<std::uint8_t>(e)); }
  void count(std::size_t n) { num(static_cast<std::uint32_t>(n)); }
  void str(std::string_view s) {
    count(s.size());
    raw(s.data(), s.size());
  }
  void opt_str(const std::optional<std::string> &s) {
    flag(s.has_value());
    if (s)
      str(*s);
  }
  void strings(const std::vector<std::string> &v) {
    count(v.size());
    for (const auto &s : v)
      str(s);
  }

private:
  bool counting_;
  std::size_t counted_ = 0;
};

class Reader {
public:
  Reader(std::span<const std::uint8_t> in, const std::string &name,
         const SnapshotProgress &on_decoded, std::shared_ptr<const void> keep = {},
         SnapshotProgress release_in_place = {})
      : in_(in), name_(name), on_decoded_(on_decoded),
        keep_(reinterpret_cast<std::uintptr_t>(in.data()) % kInPlaceAlign == 0 ? std::move(keep)
                                                                               : nullptr),
        release_in_place_(keep_ ? std::move(release_in_place) : SnapshotProgress{}) {}

  // Parts padded to their alignment (at most kInPlaceAlign) from the input's start can be used in
  // place when the input starts that aligned.
  static constexpr std::size_t kInPlaceAlign = 16;
  // What keeps the input valid and unchanged after decoding; null when nothing does or the input
  // is not aligned: then what the set keeps is copied.
  const std::shared_ptr<const void> &keep() const { return keep_; }
  // May drop pages of the kept input after use (empty when the caller did not allow it).
  const SnapshotProgress &release_in_place() const { return release_in_place_; }
  // Skips what Writer::pad_to wrote (at most align - 1 zero bytes).
  void skip_pad(std::size_t align, const char *what) {
    const std::uint8_t n = u8(what);
    if (n >= align || (pos_ + n) % align != 0) [[unlikely]]
      fail_value("padding of", n, what);
    for (auto b : take(n, what))
      if (b != 0) [[unlikely]]
        fail_value("padding byte of", b, what);
  }

  // Tells on_decoded of the input decoded since it was last told, once a few MB have gathered,
  // in stretches that end on a page boundary (the page holding pos_ goes with the next one), so
  // that a hook releasing whole pages misses none. Called between signatures only (nothing
  // decoded earlier is read again).
  void release_consumed() {
    constexpr std::size_t kStep = std::size_t{4} << 20;
    if (!on_decoded_ || pos_ - reported_ < kStep)
      return;
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto base = reinterpret_cast<std::uintptr_t>(in_.data());
    const std::size_t to = (base + pos_) / page * page - base;
    if (to > reported_) {
      on_decoded_(in_.subspan(reported_, to - reported_));
      reported_ = to;
    }
  }

  [[noreturn]] void fail(const std::string &reason) const {
    throw Error(name_, "bad signature snapshot: " + reason + " (at byte " + std::to_string(pos_) +
                           " of " + std::to_string(in_.size()) + ")");
  }
  // The failures of the small readers below, kept out of line: those readers run millions of
  // times per snapshot and stay a bounds check and a copy.
  [[noreturn, gnu::cold, gnu::noinline]] void fail_truncated(const char *what) const {
    fail(std::string("truncated in ") + what);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_value(const char *kind, unsigned v,
                                                         const char *what) const {
    fail(std::string(kind) + " " + what + " is " + std::to_string(v));
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_count(std::size_t n, const char *what) const {
    fail(std::string("truncated: count ") + std::to_string(n) + " of " + what +
         " exceeds the bytes left");
  }
  void raw(void *p, std::size_t n, const char *what) {
    if (in_.size() - pos_ < n) [[unlikely]]
      fail_truncated(what);
    if (n)
      std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  // The next n bytes, in place.
  std::span<const std::uint8_t> take(std::size_t n, const char *what) {
    if (in_.size() - pos_ < n) [[unlikely]]
      fail_truncated(what);
    pos_ += n;
    return in_.subspan(pos_ - n, n);
  }
  template <typename T> T num(const char *what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in_.size() - pos_ < sizeof(T)) [[unlikely]]
      fail_truncated(what);
    T v;
    std::memcpy(&v, in_.data() + pos_, sizeof v); // a fixed size: one load
    pos_ += sizeof v;
    return v;
  }
  std::uint8_t u8(const char *what) { return num<std::uint8_t>(what); }
  bool flag(const char *what) {
    auto v = u8(what);
    if (v > 1) [[unlikely]]
      fail_value("flag", v, what);
    return v == 1;
  }
  // An enum stored as u8, at most `last`.
  template <typename E> E en(E last, const char *what) {
    auto v = u8(what);
    if (v > static_cast<std::uint8_t>(last)) [[unlikely]]
      fail_value("out-of-range value of", v, what);
    return static_cast<E>(v);
  }
  // A count of elements each taking at least `min_bytes`: refused before anything is reserved
  // when the rest of the snapshot cannot hold them.
  std::size_t count(const char *what, std::size_t min_bytes = 1) {
    auto n = num<std::uint32_t>(what);
    if (min_bytes && n > (in_.size() - pos_) / min_bytes) [[unlikely]]
      fail_count(n, what);
    return n;
  }
  std::string str(const char *what) {
    std::size_t n = count(what);
    std::string s(reinterpret_cast<const char *>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::optional<std::string> opt_str(const char *what) {
    if (!flag(what))
      return std::nullopt;
    return str(what);
  }
  std::vector<std::string> strings(const char *what) {
    std::vector<std::string> v(count(what, 4));
    for (auto &s : v)
      s = str(what);
    return v;
  }
  bool at_end() const { return pos_ == in_.size(); }

private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  const std::string &name_;
  const SnapshotProgress &on_decoded_;
  std::size_t reported_ = 0; // input before this offset was given to on_decoded_
  std::shared_ptr<const void> keep_;
  SnapshotProgress release_in_place_;
};

// --- the parts of a signature, each with its writer and its checking reader ---

void put(Writer &w, const SigOrigin &o) {
  w.num(o.database);
  w.num(o.line);
}
SigOrigin get_origin(Reader &r, std::size_t databases) {
  SigOrigin o;
  o.database = r.num<std::uint32_t>("origin");
  o.line = r.num<std::uint32_t>("origin");
  if (o.database >= databases)
    r.fail("origin names database " + std::to_string(o.database) + " of " +
           std::to_string(databases));
  return o;
}

void put(Writer &w, const OffsetSpec &s) {
  w.en(s.base);
  w.num(s.delta);
  w.num(s.section);
  w.num(s.max_shift);
}
// Exactly what parse_offset_spec() can produce: |n| at most INT64_MAX / 4 with the sign its base
// gives it (EOF- negative or zero, EP either, the others positive or zero), a section only for
// Sx+n / SEx and at most 0xffff, no delta for SEx, nothing at all for * and VI. resolve() and the
// PCRE window add these to file positions and sizes without overflow checks.
OffsetSpec get_offset(Reader &r) {
  using Base = OffsetSpec::Base;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 4;
  OffsetSpec s;
  s.base = r.en(Base::version_info, "offset base");
  s.delta = r.num<std::int64_t>("offset");
  s.section = r.num<std::uint32_t>("offset");
  s.max_shift = r.num<std::uint32_t>("offset");
  std::int64_t lo = 0, hi = 0;
  switch (s.base) {
  case Base::absolute:
  case Base::section_start:
  case Base::last_section_start:
    hi = kMax;
    break;
  case Base::eof_minus:
    lo = -kMax;
    break;
  case Base::entry_point:
    lo = -kMax;
    hi = kMax;
    break;
  case Base::any:
  case Base::version_info:
  case Base::section_entire:
    break;
  }
  bool sectioned = s.base == Base::section_start || s.base == Base::section_entire;
  bool bare = s.base == Base::any || s.base == Base::version_info;
  if (s.delta < lo || s.delta > hi || s.section > (sectioned ? 0xffffu : 0u) ||
      (bare && s.max_shift != 0))
    r.fail("offset (base " + std::to_string(static_cast<int>(s.base)) + ", delta " +
           std::to_string(s.delta) + ", section " + std::to_string(s.section) + ", maxshift " +
           std::to_string(s.max_shift) + ") that no offset field parses to");
  return s;
}

// A body pattern is its packed encoding (packed_pattern.hpp): u32 length + bytes. Reading checks
// the encoding in one pass and copies it into one allocation; the pattern is unpacked only when a
// matcher first needs it.
void put(Writer &w, const PackedPattern &p) {
  const auto bytes = p.bytes();
  w.count(bytes.size());
  w.raw(bytes.data(), bytes.size());
}
PackedPattern get_pattern(Reader &r) {
  const std::size_t n = r.count("body pattern");
  if (n == 0)
    r.fail("empty body pattern");
  const auto bytes = r.take(n, "body pattern");
  std::string why;
  auto p = PackedPattern::read(bytes, why);
  if (!p)
    r.fail("body pattern: " + why);
  return std::move(*p);
}

void put(Writer &w, const BodyPatternOptions &o) {
  w.flag(o.nocase);
  w.flag(o.wide);
  w.flag(o.fullword);
  w.flag(o.ascii);
}
BodyPatternOptions get_options(Reader &r) {
  BodyPatternOptions o;
  o.nocase = r.flag("modifiers");
  o.wide = r.flag("modifiers");
  o.fullword = r.flag("modifiers");
  o.ascii = r.flag("modifiers");
  return o;
}

void put(Writer &w, const std::optional<TdbRange> &t) {
  w.flag(t.has_value());
  if (t) {
    w.num(t->min);
    w.num(t->max);
  }
}
std::optional<TdbRange> get_range(Reader &r) {
  if (!r.flag("target range"))
    return std::nullopt;
  TdbRange t;
  t.min = r.num<std::uint32_t>("target range");
  t.max = r.num<std::uint32_t>("target range");
  return t;
}

void put(Writer &w, const TargetDescription &t) {
  w.en(t.target);
  put(w, t.engine);
  put(w, t.file_size);
  put(w, t.entry_point);
  put(w, t.number_of_sections);
  const auto &rare = t.rare();
  w.opt_str(rare.container);
  w.strings(rare.intermediates);
  w.opt_str(rare.icon_group1);
  w.opt_str(rare.icon_group2);
  w.opt_str(rare.handler_type);
}
TargetDescription get_tdb(Reader &r) {
  TargetDescription t;
  t.target = r.en(TargetType::other, "target type");
  t.engine = get_range(r);
  t.file_size = get_range(r);
  t.entry_point = get_range(r);
  t.number_of_sections = get_range(r);
  TargetDescription::Rare rare;
  rare.container = r.opt_str("Container");
  rare.intermediates = r.strings("Intermediates");
  rare.icon_group1 = r.opt_str("IconGroup1");
  rare.icon_group2 = r.opt_str("IconGroup2");
  rare.handler_type = r.opt_str("HandlerType");
  t.set_rare(std::move(rare));
  return t;
}

void put(Writer &w, const PcreFlags &f) {
  for (bool b : {f.global, f.rolling, f.encompass, f.caseless, f.dotall, f.multiline, f.extended,
                 f.anchored, f.dollar_endonly, f.ungreedy})
    w.flag(b);
}
PcreFlags get_pcre_flags(Reader &r) {
  PcreFlags f;
  for (bool *b : {&f.global, &f.rolling, &f.encompass, &f.caseless, &f.dotall, &f.multiline,
                  &f.extended, &f.anchored, &f.dollar_endonly, &f.ungreedy})
    *b = r.flag("PCRE flags");
  return f;
}

void put(Writer &w, const ByteCompareSubsignature &b) {
  w.num(b.trigger);
  w.num(b.offset);
  w.en(b.encoding);
  w.en(b.endian);
  w.flag(b.exact);
  w.num(b.byte_count);
  w.count(b.comparisons.size());
  for (const auto &c : b.comparisons) {
    w.u8(static_cast<std::uint8_t>(c.op));
    w.num(c.value);
  }
}
ByteCompareSubsignature get_byte_compare(Reader &r) {
  ByteCompareSubsignature b;
  b.trigger = r.num<std::uint32_t>("byte-compare");
  b.offset = r.num<std::int64_t>("byte-compare");
  b.encoding = r.en(ByteCompareSubsignature::Encoding::binary, "byte-compare encoding");
  b.endian = r.en(ByteCompareSubsignature::Endian::big, "byte-compare endianness");
  b.exact = r.flag("byte-compare");
  b.byte_count = r.num<std::uint32_t>("byte-compare");
  using Enc = ByteCompareSubsignature::Encoding;
  if (b.byte_count == 0 || (b.encoding == Enc::hex && b.byte_count > 18) ||
      (b.encoding == Enc::binary && b.byte_count != 1 && b.byte_count != 2 && b.byte_count != 4 &&
       b.byte_count != 8))
    r.fail("byte-compare byte count " + std::to_string(b.byte_count));
  b.comparisons.resize(r.count("byte-compare comparisons", 9));
  if (b.comparisons.empty() || b.comparisons.size() > 2)
    r.fail("byte-compare with " + std::to_string(b.comparisons.size()) + " comparisons");
  for (auto &c : b.comparisons) {
    c.op = static_cast<char>(r.u8("byte-compare comparison"));
    if (c.op != '<' && c.op != '>' && c.op != '=')
      r.fail("byte-compare comparison operator");
    c.value = r.num<std::int64_t>("byte-compare comparison");
  }
  return b;
}

// A signature's optional container type, FileNameREGEX etc. (.cdb).
void put(Writer &w, const CdbRange &c) {
  w.flag(c.any);
  w.num(c.min);
  w.num(c.max);
}
CdbRange get_cdb_range(Reader &r) {
  CdbRange c;
  c.any = r.flag("container range");
  c.min = r.num<std::uint32_t>("container range");
  c.max = r.num<std::uint32_t>("container range");
  return c;
}

} // namespace

// Reaches the private parts of HashTable and LogicalExpression (friend of both).
struct SignatureSnapshotAccess {
  template <std::size_t N>
  static void put_entries(Writer &w, std::span<const HashTable::Entry<N>> table) {
    w.count(table.size());
    w.pad_to(alignof(HashTable::Entry<N>));
    for (const auto &e : table) {
      w.num(e.size());
      w.raw(e.digest.data(), N);
      w.num(e.sig);
    }
  }
  template <std::size_t N>
  static void get_entries(Reader &r, std::vector<HashTable::Entry<N>> &owned,
                          std::span<const HashTable::Entry<N>> &view, std::vector<bool> &named) {
    // The stored record (u64 size, digest, u32 signature) is the entry's own layout on a
    // little-endian machine (size as two 32-bit words, low first; no padding), placed at a
    // multiple of its alignment from the snapshot's start: borrowed in place when the input is
    // kept and aligned, else one copy; then every entry checked.
    using Entry = HashTable::Entry<N>;
    static_assert(sizeof(Entry) == 12 + N && std::is_trivially_copyable_v<Entry>);
    static_assert(std::endian::native == std::endian::little);
    const std::size_t n = r.count("hash entries", sizeof(Entry));
    r.skip_pad(alignof(Entry), "hash entries");
    static_assert(alignof(Entry) <= Reader::kInPlaceAlign);
    auto bytes = r.take(n * sizeof(Entry), "hash entries");
    std::span<const Entry> table;
    if (r.keep()) {
      view = std::span<const Entry>(reinterpret_cast<const Entry *>(bytes.data()), n);
      table = view;
    } else {
      owned.resize(n);
      if (n)
        std::memcpy(owned.data(), bytes.data(), bytes.size());
      table = owned;
    }
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (table[i].sig >= named.size())
        r.fail("hash entry names signature " + std::to_string(table[i].sig) + " of " +
               std::to_string(named.size()));
      if (named[table[i].sig])
        r.fail("signature " + std::to_string(table[i].sig) + " has two hash entries");
      named[table[i].sig] = true;
      if (i && table[i] < table[i - 1])
        r.fail("hash table not sorted");
    }
  }
  static void put(Writer &w, const HashTable &t) {
    w.str(t.names());
    w.count(t.name_offsets_.size());
    for (std::size_t i = 0; i < t.name_offsets_.size(); ++i) {
      w.num(t.name_offsets_[i]);
      vg::put(w, t.origin(static_cast<std::uint32_t>(i)));
    }
    put_entries<16>(w, t.md5());
    put_entries<20>(w, t.sha1());
    put_entries<32>(w, t.sha256());
  }
  static HashTable get_hash_table(Reader &r, std::size_t databases) {
    HashTable t;
    {
      const std::size_t bytes = r.count("hash names");
      auto names = r.take(bytes, "hash names");
      if (r.keep())
        t.names_view_ = std::string_view(reinterpret_cast<const char *>(names.data()), bytes);
      else
        t.names_.assign(reinterpret_cast<const char *>(names.data()), bytes);
    }
    const std::string_view names = r.keep() ? t.names_view_ : std::string_view(t.names_);
    std::size_t n = r.count("hash signatures", 12);
    t.name_offsets_.resize(n);
    t.lines_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      t.name_offsets_[i] = r.num<std::uint32_t>("hash name offset");
      if (t.name_offsets_[i] > names.size() || (i && t.name_offsets_[i] < t.name_offsets_[i - 1]))
        r.fail("hash name offset out of order or beyond the names");
      t.add_origin(get_origin(r, databases));
    }
    t.databases_.shrink_to_fit();
    // Every signature has exactly one entry, in one of the three tables.
    std::vector<bool> named(n);
    get_entries<16>(r, t.md5_, t.md5_view_, named);
    get_entries<20>(r, t.sha1_, t.sha1_view_, named);
    get_entries<32>(r, t.sha256_, t.sha256_view_, named);
    t.keep_ = r.keep(); // null: the vectors were filled
    if (const auto missing = std::find(named.begin(), named.end(), false); missing != named.end())
      r.fail("signature " + std::to_string(missing - named.begin()) + " has no hash entry");
    t.count_ = n;
    t.index_sizes();
    if (t.keep_)
      t.release_ = r.release_in_place();
    return t;
  }

  static void put(Writer &w, const LogicalExpression &e) {
    w.num(e.root_);
    w.num(e.max_subsig_);
    w.count(e.nodes_.size());
    for (const auto &n : e.nodes_) {
      w.en(n.kind);
      w.u8(static_cast<std::uint8_t>(n.comparison));
      w.num(n.value);
      w.num(n.distinct);
      // As 32-bit numbers, as before the node shrank (same snapshot bytes).
      w.num(std::uint32_t{n.subsig});
      w.num(std::int32_t{n.left});
      w.num(std::int32_t{n.right});
    }
    // Every subsignature's cap, 0 to the highest named (the trailing 1s the expression does not
    // keep included: same bytes as before it dropped them).
    std::uint32_t caps = e.nodes_.empty() ? 0 : e.max_subsig_ + 1;
    w.count(caps);
    for (std::uint32_t i = 0; i < caps; ++i)
      w.num(e.count_cap(i));
  }
  static LogicalExpression get_expression(Reader &r) {
    using Node = LogicalExpression::Node;
    LogicalExpression e;
    e.root_ = r.num<std::int32_t>("expression");
    e.max_subsig_ = r.num<std::uint32_t>("expression");
    e.nodes_.resize(r.count("expression nodes", 22));
    if (e.nodes_.size() > kMaxExpressionNodes)
      r.fail("expression of " + std::to_string(e.nodes_.size()) + " nodes");
    std::uint32_t max_subsig = 0;
    for (std::size_t i = 0; i < e.nodes_.size(); ++i) {
      Node &n = e.nodes_[i];
      n.kind = r.en(Node::Kind::any, "expression node kind");
      n.comparison = static_cast<char>(r.u8("expression node"));
      if (n.comparison != 0 && n.comparison != '=' && n.comparison != '<' && n.comparison != '>')
        r.fail("expression comparison");
      n.value = r.num<std::uint32_t>("expression node");
      n.distinct = r.num<std::uint32_t>("expression node");
      auto subsig = r.num<std::uint32_t>("expression node");
      auto left = r.num<std::int32_t>("expression node");
      auto right = r.num<std::int32_t>("expression node");
      auto below = static_cast<std::int32_t>(i);
      if (n.kind == Node::Kind::subsig) {
        if (subsig >= 64)
          r.fail("expression names subsignature " + std::to_string(subsig));
        if (left != -1 || right != -1)
          r.fail("expression leaf with operands");
        max_subsig = std::max(max_subsig, subsig);
      } else if (subsig != 0 || left < 0 || left >= below || right < 0 || right >= below) {
        r.fail("expression node whose operands do not precede it");
      }
      // In range of the node's narrower fields: below < kMaxNodes, subsig < 64.
      n.subsig = static_cast<std::uint8_t>(subsig);
      n.left = static_cast<std::int16_t>(left);
      n.right = static_cast<std::int16_t>(right);
    }
    if (e.nodes_.empty() ? e.root_ != -1 || e.max_subsig_ != 0
                         : e.root_ < 0 || static_cast<std::size_t>(e.root_) >= e.nodes_.size() ||
                               max_subsig != e.max_subsig_)
      r.fail("expression root or highest subsignature inconsistent with its nodes");
    check_tree(r, e);
    std::size_t stored = r.count("expression caps", 4);
    if (stored > 64)
      r.fail("expression caps for " + std::to_string(stored) + " subsignatures");
    const std::vector<std::uint32_t> &caps = derive_caps(e);
    bool same = stored == caps.size();
    for (std::size_t i = 0; i < stored; ++i) { // all read before judging, as the error's position
      auto cap = r.num<std::uint32_t>("expression caps");
      if (same && cap != caps[i])
        same = false;
    }
    if (!same)
      r.fail("expression count caps differ from those its nodes give");
    e.set_caps(caps);
    return e;
  }

  // The parser adds a node after its operands and uses each node once: the root is the last node
  // and every other node is the operand of exactly one node. Shared operands (a DAG) would make
  // every walk of the tree exponential.
  static void check_tree(Reader &r, const LogicalExpression &e) {
    using Node = LogicalExpression::Node;
    if (e.nodes_.empty())
      return;
    if (static_cast<std::size_t>(e.root_) != e.nodes_.size() - 1)
      r.fail("expression whose root is not its last node");
    // Scratch reused from one expression to the next (a snapshot holds ~50,000 of them).
    thread_local std::vector<std::uint8_t> uses;
    uses.assign(e.nodes_.size(), 0);
    for (const Node &n : e.nodes_)
      if (n.kind != Node::Kind::subsig)
        for (auto child : {n.left, n.right})
          if (++uses[static_cast<std::size_t>(child)] > 1)
            r.fail("expression node " + std::to_string(child) +
                   " is an operand more than once (not a tree)");
    for (std::size_t i = 0; i + 1 < uses.size(); ++i)
      if (uses[i] != 1)
        r.fail("expression node " + std::to_string(i) + " is not an operand of any node");
  }

  // What the parser's raise_caps() gives: per subsignature (0 to the highest named), one more than
  // the largest count any comparison above it takes, at least 1. Linear in the nodes: each node's
  // subsignatures are known once its operands' are (operands precede their node).
  // Every subsignature's, trailing 1s included, in per-thread scratch (valid until the next call).
  static const std::vector<std::uint32_t> &derive_caps(const LogicalExpression &e) {
    using Node = LogicalExpression::Node;
    thread_local std::vector<std::uint32_t> caps;
    caps.clear();
    if (e.nodes_.empty())
      return caps;
    caps.resize(std::size_t{e.max_subsig_} + 1, 1);
    thread_local std::vector<std::uint64_t> under; // scratch, as in check_tree()
    under.resize(e.nodes_.size());
    for (std::size_t i = 0; i < e.nodes_.size(); ++i) {
      const Node &n = e.nodes_[i];
      under[i] = n.kind == Node::Kind::subsig ? std::uint64_t{1} << n.subsig
                                              : under[static_cast<std::size_t>(n.left)] |
                                                    under[static_cast<std::size_t>(n.right)];
      if (!n.comparison)
        continue;
      std::uint32_t cap =
          n.value == std::numeric_limits<std::uint32_t>::max() ? n.value : n.value + 1;
      for (std::uint64_t bits = under[i]; bits; bits &= bits - 1) {
        auto id = static_cast<std::size_t>(std::countr_zero(bits));
        caps[id] = std::max(caps[id], cap);
      }
    }
    return caps;
  }
};

namespace {

void put_expression(Writer &w, const LogicalExpression &e) {
  SignatureSnapshotAccess::put(w, e);
}

void put(Writer &w, const LogicalSubsignature &s) {
  using Kind = LogicalSubsignature::Kind;
  w.en(s.kind);
  put(w, s.options);
  put(w, s.offset);
  w.count(s.patterns.size());
  for (const auto &p : s.patterns)
    put(w, p);
  if (s.kind == Kind::pcre) {
    const auto &p = s.pcre();
    put(w, p.offset);
    w.str(p.offset_text);
    w.str(p.trigger);
    w.str(p.regex);
    put(w, p.flags);
    put_expression(w, s.trigger());
  } else if (s.kind == Kind::byte_compare) {
    put(w, s.byte_compare());
  }
}
LogicalSubsignature get_subsig(Reader &r, std::size_t index,
                               const std::vector<LogicalSubsignature> &before) {
  using Kind = LogicalSubsignature::Kind;
  LogicalSubsignature s;
  s.kind = r.en(Kind::fuzzy_image, "subsignature kind");
  s.options = get_options(r);
  s.offset = get_offset(r);
  const std::size_t patterns = r.count("subsignature patterns", 6);
  if (s.kind == Kind::body ? patterns == 0 || patterns > SubsignaturePatterns::kMax : patterns != 0)
    r.fail("subsignature " + std::to_string(index) + " with " + std::to_string(patterns) +
           " patterns");
  for (std::size_t i = 0; i < patterns; ++i)
    s.patterns.push_back(get_pattern(r)); // not empty: get_pattern refuses that
  if (s.kind == Kind::pcre) {
    PcreSubsignature p;
    p.offset = get_offset(r);
    p.offset_text = r.str("PCRE offset");
    p.trigger = r.str("PCRE trigger");
    p.regex = r.str("PCRE regex");
    p.flags = get_pcre_flags(r);
    LogicalExpression trigger = SignatureSnapshotAccess::get_expression(r);
    if (trigger.nodes().empty() || trigger.max_subsig() >= index)
      r.fail("PCRE subsignature " + std::to_string(index) +
             " whose trigger does not name earlier subsignatures");
    // Both are derived from text the snapshot holds: they must be what that text parses to.
    auto parsed = parse_logical_expression(p.trigger);
    if (!parsed.ok() || !(parsed.expression == trigger))
      r.fail("PCRE subsignature " + std::to_string(index) + " whose trigger differs from '" +
             p.trigger + "' parsed");
    auto offset = parse_offset_spec(p.offset_text);
    if (!offset.ok() || offset.spec.base != p.offset.base || offset.spec.delta != p.offset.delta ||
        offset.spec.section != p.offset.section || offset.spec.max_shift != p.offset.max_shift)
      r.fail("PCRE subsignature " + std::to_string(index) + " whose offset differs from '" +
             p.offset_text + "' parsed");
    s.set_pcre(std::move(p), std::move(trigger));
  } else if (s.kind == Kind::byte_compare) {
    auto b = get_byte_compare(r);
    if (b.trigger >= index || before[b.trigger].kind != Kind::body)
      r.fail("byte-compare subsignature " + std::to_string(index) +
             " whose trigger is not an earlier body subsignature");
    s.set_byte_compare(std::move(b));
  }
  return s;
}

void put(Writer &w, const BodySignature &s) {
  w.str(s.name);
  w.en(s.target);
  put(w, s.offset);
  put(w, s.pattern);
  put(w, s.origin);
}
BodySignature get_body(Reader &r, std::size_t databases) {
  BodySignature s;
  s.name = r.str("body signature name");
  s.target = r.en(TargetType::other, "target type");
  s.offset = get_offset(r);
  s.pattern = get_pattern(r);
  s.origin = get_origin(r, databases);
  return s;
}

void put(Writer &w, const LogicalSignature &s) {
  w.str(s.name);
  put(w, s.tdb);
  put_expression(w, s.expression);
  w.count(s.subsigs.size());
  for (const auto &sub : s.subsigs)
    put(w, sub);
  put(w, s.origin);
}
LogicalSignature get_logical(Reader &r, std::size_t databases) {
  LogicalSignature s;
  s.name = r.str("logical signature name");
  s.tdb = get_tdb(r);
  s.expression = SignatureSnapshotAccess::get_expression(r);
  std::size_t n = r.count("subsignatures", 30);
  if (s.expression.nodes().empty() || n != std::size_t{s.expression.max_subsig()} + 1)
    r.fail("logical signature '" + s.name + "' with " + std::to_string(n) +
           " subsignatures for an expression naming " +
           std::to_string(s.expression.max_subsig() + 1));
  s.subsigs.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    s.subsigs.push_back(get_subsig(r, i, s.subsigs));
  s.origin = get_origin(r, databases);
  return s;
}

void put(Writer &w, const ContainerMetadataSignature &s) {
  w.str(s.name);
  w.opt_str(s.container_type);
  put(w, s.container_size);
  w.flag(s.name_regex.has_value());
  if (s.name_regex)
    w.str(s.name_regex->pattern());
  put(w, s.size_in_container);
  put(w, s.size_real);
  w.u8(s.encrypted ? (*s.encrypted ? 1 : 0) : 2);
  put(w, s.position);
  put(w, s.origin);
}
ContainerMetadataSignature get_cdb(Reader &r, std::size_t databases) {
  ContainerMetadataSignature s;
  s.name = r.str("container signature name");
  s.container_type = r.opt_str("container type");
  s.container_size = get_cdb_range(r);
  if (r.flag("file name regex")) {
    auto compiled = EntryNameRegex::compile(r.str("file name regex"));
    if (auto *e = std::get_if<std::string>(&compiled))
      r.fail("file name regex of '" + s.name + "' does not compile: " + *e);
    s.name_regex = std::get<EntryNameRegex>(std::move(compiled));
  }
  s.size_in_container = get_cdb_range(r);
  s.size_real = get_cdb_range(r);
  switch (r.u8("encryption")) {
  case 0:
    s.encrypted = false;
    break;
  case 1:
    s.encrypted = true;
    break;
  case 2:
    break;
  default:
    r.fail("encryption value");
  }
  s.position = get_cdb_range(r);
  s.origin = get_origin(r, databases);
  return s;
}

} // namespace

namespace {
void write_set(Writer &w, const SignatureSet &set) {
  w.raw(kMagic, sizeof kMagic);
  w.num(kSignatureSnapshotVersion);
  w.strings(set.databases);
  SignatureSnapshotAccess::put(w, set.hashes);
  SignatureSnapshotAccess::put(w, set.allow);
  SignatureSnapshotAccess::put(w, set.sections);
  SignatureSnapshotAccess::put(w, set.imports);
  w.count(set.bodies.size());
  for (const auto &s : set.bodies)
    put(w, s);
  w.count(set.logicals.size());
  for (const auto &s : set.logicals)
    put(w, s);
  w.count(set.container_metadata.size());
  for (const auto &s : set.container_metadata)
    put(w, s);
  std::vector<std::string> ignored(set.ignored.begin(), set.ignored.end());
  std::sort(ignored.begin(), ignored.end()); // deterministic whatever the hash order
  w.strings(ignored);
  w.num(set.skipped_by_level);
  w.strings(set.warnings);
}
} // namespace

std::vector<std::uint8_t> write_signature_snapshot(const SignatureSet &set) {
  Writer sizer(true);
  write_set(sizer, set);
  Writer w;
  w.out.reserve(sizer.counted());
  write_set(w, set);
  return std::move(w.out);
}

SignatureSet read_signature_snapshot(std::span<const std::uint8_t> bytes, const std::string &name,
                                     SnapshotBytes disposal) {
  if (disposal == SnapshotBytes::kept)
    return read_signature_snapshot(bytes, name, SnapshotProgress{});
  return read_signature_snapshot(bytes, name, release_whole_pages);
}

SignatureSet read_signature_snapshot(std::span<const std::uint8_t> bytes, const std::string &name,
                                     const SnapshotProgress &on_decoded,
                                     std::shared_ptr<const void> keep,
                                     SnapshotProgress release_in_place) {
  Reader r(bytes, name, on_decoded, std::move(keep), std::move(release_in_place));
  char magic[sizeof kMagic];
  r.raw(magic, sizeof magic, "header");
  if (std::memcmp(magic, kMagic, sizeof magic) != 0)
    r.fail("not a signature snapshot (wrong magic)");
  auto version = r.num<std::uint32_t>("header");
  if (version != kSignatureSnapshotVersion)
    r.fail("format version " + std::to_string(version) + ", expected " +
           std::to_string(kSignatureSnapshotVersion));
  SignatureSet set;
  set.databases = r.strings("database names");
  const std::size_t dbs = set.databases.size();
  for (HashTable *t : {&set.hashes, &set.allow, &set.sections, &set.imports}) {
    *t = SignatureSnapshotAccess::get_hash_table(r, dbs);
    r.release_consumed();
  }
  set.bodies.resize(r.count("body signatures", 20));
  for (auto &s : set.bodies) {
    s = get_body(r, dbs);
    r.release_consumed();
  }
  std::size_t n = r.count("logical signatures", 60);
  set.logicals.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    set.logicals.push_back(get_logical(r, dbs));
    r.release_consumed();
  }
  set.container_metadata.resize(r.count("container signatures", 40));
  for (auto &s : set.container_metadata)
    s = get_cdb(r, dbs);
  for (auto &s : r.strings("ignored names"))
    set.ignored.insert(std::move(s));
  set.skipped_by_level = r.num<std::uint64_t>("skipped count");
  set.warnings = r.strings("warnings");
  if (!r.at_end())
    r.fail("trailing bytes after the snapshot");
  return set;
}

namespace {
// The NT_GNU_BUILD_ID note of the object dl_iterate_phdr() reports first: the main program.
int find_build_id(dl_phdr_info *info, std::size_t, void *out) {
  auto &id = *static_cast<std::vector<std::uint8_t> *>(out);
  for (ElfW(Half) i = 0; i < info->dlpi_phnum && id.empty(); ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE)
      continue;
    const std::size_t align = ph.p_align == 8 ? 8 : 4;
    auto pad = [align](std::size_t n) { return (n + align - 1) & ~(align - 1); };
    auto *p = reinterpret_cast<const std::uint8_t *>(info->dlpi_addr + ph.p_vaddr);
    std::size_t size = ph.p_memsz, at = 0;
    while (size - at >= sizeof(ElfW(Nhdr))) {
      ElfW(Nhdr) h;
      std::memcpy(&h, p + at, sizeof h);
      std::size_t name = at + sizeof h;
      if (h.n_namesz > size - name || h.n_descsz > size - name - pad(h.n_namesz))
        break;
      std::size_t desc = name + pad(h.n_namesz);
      if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 && std::memcmp(p + name, "GNU", 4) == 0) {
        id.assign(p + desc, p + desc + h.n_descsz);
        break;
      }
      at = desc + pad(h.n_descsz);
      if (at > size)
        break;
    }
  }
  return 1; // the main program only
}
} // namespace

std::vector<std::uint8_t> program_build_identity() {
  static const std::vector<std::uint8_t> identity = [] {
    std::vector<std::uint8_t> id;
    dl_iterate_phdr(find_build_id, &id);
    std::string_view kind = "gnu-build-id:";
    if (id.empty()) { // linked without --build-id: the program's own bytes identify it
      MappedFile exe = MappedFile::open("/proc/self/exe");
      auto d = digest_bytes(exe.bytes(), hash_bit(HashAlgo::sha256));
      id.assign(d.sha256->b.begin(), d.sha256->b.end());
      kind = "exe-sha256:";
    }
    id.insert(id.begin(), kind.begin(), kind.end());
    return id;
  }();
  return identity;
}

SnapshotKey signature_snapshot_key(const DatabaseFileList &list) {
  return signature_snapshot_key(list, program_build_identity());
}

SnapshotKey signature_snapshot_key(const DatabaseFileList &list,
                                   std::span<const std::uint8_t> build_identity) {
  Writer w;
  w.str("voxguard signature snapshot");
  w.num(kSignatureSnapshotVersion);
  w.count(build_identity.size());
  w.raw(build_identity.data(), build_identity.size());
  w.num(static_cast<std::uint32_t>(kFunctionalityLevel));
  const CvdTrust &keys = trusted_cvd_keys();
  for (const auto *s : {&keys.container.n_decimal, &keys.container.e_decimal, &keys.info.n_decimal,
                        &keys.info.e_decimal})
    w.str(*s);
  w.strings(list.warnings);
  // The files' digests, on two threads when there are several files (the full database's 27 MB
  // take ~28 ms on one core, a seventh of a warm start); the first failure is thrown, as before.
  struct FileDigest {
    std::uint64_t size = 0;
    std::array<std::uint8_t, 32> sha256{};
    std::exception_ptr failure;
  };
  std::vector<FileDigest> digests(list.files.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < list.files.size();) {
      try {
        MappedFile m = MappedFile::open(list.files[i]);
        digests[i].size = m.size();
        auto d = digest_bytes(m.bytes(), hash_bit(HashAlgo::sha256));
        std::copy_n(d.sha256->b.begin(), 32, digests[i].sha256.begin());
      } catch (...) {
        digests[i].failure = std::current_exception();
      }
    }
  };
  std::thread helper;
  if (list.files.size() > 1 && std::thread::hardware_concurrency() > 1) {
    try {
      helper = std::thread(work);
    } catch (const std::system_error &) { // no thread to be had: all on this one
    }
  }
  work();
  if (helper.joinable())
    helper.join();
  w.count(list.files.size());
  for (std::size_t i = 0; i < list.files.size(); ++i) {
    if (digests[i].failure)
      std::rethrow_exception(digests[i].failure);
    w.str(list.files[i]);
    w.num(digests[i].size);
    w.raw(digests[i].sha256.data(), 32);
  }
  auto d = digest_bytes(w.out, hash_bit(HashAlgo::sha256));
  SnapshotKey key;
  std::memcpy(key.data(), d.sha256->b.data(), key.size());
  return key;
}

} // namespace vg
