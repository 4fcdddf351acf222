// zip_bit_reader.hpp — reads the bit stream of a zip compression method (Deflate64, Implode):
// bits are taken least significant first from each byte, as both methods pack them.
// Promise: never reads outside the span it was given; asking for a bit past its end throws
// vg::Error naming the stream and the byte offset where it was cut.
#pragma once
#include "common/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace vg {

class ZipBitReader {
public:
  ZipBitReader(std::span<const std::uint8_t> in, const char *stream) : in_(in), stream_(stream) {}

  // The next `n` bits (n <= 24), the first one read in the lowest position.
  std::uint32_t bits(unsigned n) {
    while (count_ < n) {
      if (pos_ >= in_.size())
        fail("truncated: the stream ends inside a code (" + std::to_string(in_.size()) +
             " bytes read)");
      buf_ |= static_cast<std::uint32_t>(in_[pos_++]) << count_;
      count_ += 8;
    }
    const std::uint32_t v = buf_ & ((1u << n) - 1u);
    buf_ >>= n;
    count_ -= n;
    return v;
  }
  unsigned bit() { return bits(1); }

  // Drops the bits left in the current byte (a stored block starts on a byte boundary).
  void align_to_byte() {
    buf_ = 0;
    count_ = 0;
  }
  // After align_to_byte(): the next `n` whole bytes.
  std::span<const std::uint8_t> take_bytes(std::size_t n) {
    if (n > in_.size() - pos_)
      fail("truncated: " + std::to_string(n) + " stored bytes announced, " +
           std::to_string(in_.size() - pos_) + " left");
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  // Bytes of input used so far (a partly used byte counts as used).
  std::size_t consumed() const { return pos_; }

  [[noreturn]] void fail(const std::string &reason) const {
    throw Error(std::string(stream_) + " at byte " + std::to_string(pos_), reason);
  }

private:
  std::span<const std::uint8_t> in_;
  const char *stream_;
  std::size_t pos_ = 0;
  std::uint32_t buf_ = 0;
  unsigned count_ = 0;
};

} // namespace vg
