// zip_stream_writer.hpp — writes Deflate64 and Implode streams bit by bit for the decoder tests,
// independently of the decoders: fixed-Huffman Deflate64 codes from RFC 1951's table, and
// Shannon-Fano codes generated with APPNOTE 5.3's own procedure (sort by length, assign from the
// longest code down), so the decoders are checked against the specification, not themselves.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace vg::test {

// Bits least significant first into bytes, as zip's compression methods pack them.
class BitWriter {
public:
  void bits(std::uint32_t v, unsigned n) { // value, lowest bit first
    for (unsigned i = 0; i < n; ++i)
      bit((v >> i) & 1u);
  }
  void code(std::uint32_t c, unsigned n) { // prefix code, most significant bit first
    for (unsigned i = n; i-- > 0;)
      bit((c >> i) & 1u);
  }
  void bit(unsigned b) {
    if (used_ == 0)
      out_.push_back(0);
    out_.back() = static_cast<std::uint8_t>(out_.back() | (b << used_));
    used_ = (used_ + 1) & 7;
  }
  void align() { used_ = 0; }
  void byte(std::uint8_t b) {
    align();
    out_.push_back(b);
  }
  const std::vector<std::uint8_t> &bytes() const { return out_; }

private:
  std::vector<std::uint8_t> out_;
  unsigned used_ = 0;
};

// Deflate64 fixed-Huffman block writer (RFC 1951 3.2.6 codes; Deflate64's length and distance
// meanings).
class FixedDeflate64Writer {
public:
  void begin_block(bool last) {
    w.bit(last ? 1 : 0);
    w.bits(1, 2);
  }
  void stored_block(bool last, const std::vector<std::uint8_t> &data) {
    w.bit(last ? 1 : 0);
    w.bits(0, 2);
    w.align();
    auto len = static_cast<std::uint16_t>(data.size());
    w.byte(static_cast<std::uint8_t>(len)), w.byte(static_cast<std::uint8_t>(len >> 8));
    w.byte(static_cast<std::uint8_t>(~len)), w.byte(static_cast<std::uint8_t>(~len >> 8));
    for (auto b : data)
      w.byte(b);
  }
  void symbol(unsigned s) {
    if (s < 144)
      w.code(0x30 + s, 8);
    else if (s < 256)
      w.code(0x190 + s - 144, 9);
    else if (s < 280)
      w.code(s - 256, 7);
    else
      w.code(0xC0 + s - 280, 8);
  }
  void literal(std::uint8_t b) { symbol(b); }
  void end_block() { symbol(256); }
  // A match with explicit codes: length symbol + extra bits, distance code + extra bits.
  void match(unsigned length_symbol, std::uint32_t length_extra, unsigned length_extra_bits,
             unsigned distance_code, std::uint32_t distance_extra, unsigned distance_extra_bits) {
    symbol(length_symbol);
    w.bits(length_extra, length_extra_bits);
    w.code(distance_code, 5);
    w.bits(distance_extra, distance_extra_bits);
  }
  BitWriter w;
};

// Shannon-Fano codes per APPNOTE 5.3.4: lengths sorted ascending (stable), codes assigned from
// the last (longest) upwards; code[i] holds the top `length` bits of the 16-bit code.
inline std::vector<std::uint32_t> shannon_fano_codes(const std::vector<unsigned> &lengths) {
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] < lengths[b]; });
  std::vector<std::uint32_t> codes(lengths.size());
  std::uint32_t code = 0, increment = 0;
  unsigned last = 0;
  for (std::size_t k = order.size(); k-- > 0;) {
    const std::size_t v = order[k];
    code += increment;
    if (lengths[v] != last) {
      last = lengths[v];
      increment = 1u << (16 - last);
    }
    codes[v] = (code & 0xFFFF) >> (16 - lengths[v]);
  }
  return codes;
}

// Compressed tree description: (count of bytes - 1), then runs of (count-1)<<4 | (length-1).
inline std::vector<std::uint8_t> describe_tree(const std::vector<unsigned> &lengths) {
  std::vector<std::uint8_t> runs;
  for (std::size_t i = 0; i < lengths.size();) {
    std::size_t j = i;
    while (j < lengths.size() && lengths[j] == lengths[i] && j - i < 16)
      ++j;
    runs.push_back(static_cast<std::uint8_t>((j - i - 1) << 4 | (lengths[i] - 1)));
    i = j;
  }
  runs.insert(runs.begin(), static_cast<std::uint8_t>(runs.size() - 1));
  return runs;
}

// Implode stream writer over given trees.
class ImplodeWriter {
public:
  ImplodeWriter(bool dict8k, std::vector<unsigned> literal_lengths,
                std::vector<unsigned> length_lengths, std::vector<unsigned> distance_lengths)
      : dict8k_(dict8k), lit_len_(std::move(literal_lengths)), len_len_(std::move(length_lengths)),
        dist_len_(std::move(distance_lengths)), lit_(shannon_fano_codes(lit_len_)),
        len_(shannon_fano_codes(len_len_)), dist_(shannon_fano_codes(dist_len_)) {
    auto put = [&](const std::vector<std::uint8_t> &d) {
      for (auto b : d)
        w.byte(b);
    };
    if (!lit_len_.empty())
      put(describe_tree(lit_len_));
    put(describe_tree(len_len_));
    put(describe_tree(dist_len_));
    w.align();
  }
  void literal(std::uint8_t b) {
    w.bit(1);
    if (lit_len_.empty())
      w.bits(b, 8);
    else
      w.code(lit_[b], lit_len_[b]);
  }
  // distance >= 1; length >= minimum match (3 with a literal tree, else 2).
  void match(std::uint32_t distance, std::uint32_t length) {
    w.bit(0);
    const unsigned low = dict8k_ ? 7 : 6;
    const std::uint32_t d = distance - 1;
    w.bits(d & ((1u << low) - 1), low);
    const std::uint32_t hi = d >> low;
    w.code(dist_[hi], dist_len_[hi]);
    std::uint32_t l = length - (lit_len_.empty() ? 2 : 3);
    if (l >= 63) {
      w.code(len_[63], len_len_[63]);
      w.bits(l - 63, 8);
    } else {
      w.code(len_[l], len_len_[l]);
    }
  }
  BitWriter w;

private:
  bool dict8k_;
  std::vector<unsigned> lit_len_, len_len_, dist_len_;
  std::vector<std::uint32_t> lit_, len_, dist_;
};

} // namespace vg::test
