// digest.hpp — MD5, SHA-1 and SHA-256 (OpenSSL EVP), any subset computed in one pass over the
// bytes. Promise: digest_bytes() reads the input once, whatever set of algorithms is asked for, and
// returns lowercase-hex-comparable raw digests.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <tuple>

namespace vg {

enum class HashAlgo : std::uint8_t { md5 = 0, sha1 = 1, sha256 = 2 };
constexpr std::size_t digest_length(HashAlgo a) {
  return a == HashAlgo::md5 ? 16 : a == HashAlgo::sha1 ? 20 : 32;
}
const char *hash_algo_name(HashAlgo a);

// A digest of up to 32 bytes; `len` tells which algorithm produced it.
struct Digest {
  std::array<std::uint8_t, 32> b{};
  std::uint8_t len = 0;
  std::span<const std::uint8_t> bytes() const { return {b.data(), len}; }
  std::string hex() const;
  friend bool operator==(const Digest &x, const Digest &y) { return x.len == y.len && x.b == y.b; }
  friend auto operator<=>(const Digest &x, const Digest &y) {
    return std::tie(x.len, x.b) <=> std::tie(y.len, y.b);
  }
};

struct Digests {
  std::optional<Digest> md5, sha1, sha256;
  const std::optional<Digest> &get(HashAlgo a) const {
    return a == HashAlgo::md5 ? md5 : a == HashAlgo::sha1 ? sha1 : sha256;
  }
};

// Bit mask of algorithms: 1<<HashAlgo.
using HashMask = std::uint8_t;
constexpr HashMask hash_bit(HashAlgo a) {
  return static_cast<HashMask>(1u << static_cast<unsigned>(a));
}

// Called with [begin, end) of bytes a pass no longer needs (see MappedFile::release).
using ReleaseFn = std::function<void(std::size_t begin, std::size_t end)>;

Digests digest_bytes(std::span<const std::uint8_t> data, HashMask which,
                     const ReleaseFn &release = {});

} // namespace vg
