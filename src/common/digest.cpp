#include "common/digest.hpp"

#include "common/hex.hpp"

#include <memory>
#include <openssl/evp.h>
#include <stdexcept>

namespace vg {

const char *hash_algo_name(HashAlgo a) {
  switch (a) {
  case HashAlgo::md5:
    return "md5";
  case HashAlgo::sha1:
    return "sha1";
  case HashAlgo::sha256:
    return "sha256";
  }
  return "?";
}

std::string Digest::hex() const {
  return hex_encode(bytes());
}

namespace {
struct CtxFree {
  void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_MD_CTX, CtxFree>;

const EVP_MD *md_for(HashAlgo a) {
  switch (a) {
  case HashAlgo::md5:
    return EVP_md5();
  case HashAlgo::sha1:
    return EVP_sha1();
  case HashAlgo::sha256:
    return EVP_sha256();
  }
  return nullptr;
}
} // namespace

Digests digest_bytes(std::span<const std::uint8_t> data, HashMask which, const ReleaseFn &release) {
  constexpr HashAlgo algos[] = {HashAlgo::md5, HashAlgo::sha1, HashAlgo::sha256};
  Ctx ctx[3];
  for (int i = 0; i < 3; ++i) {
    if (!(which & hash_bit(algos[i])))
      continue;
    ctx[i].reset(EVP_MD_CTX_new());
    if (!ctx[i] || EVP_DigestInit_ex(ctx[i].get(), md_for(algos[i]), nullptr) != 1)
      throw std::runtime_error("OpenSSL digest initialisation failed");
  }
  // One pass: feed each block to every requested digest while it is hot in cache.
  constexpr std::size_t block = 256 * 1024;
  for (std::size_t off = 0; off < data.size(); off += block) {
    std::size_t n = std::min(block, data.size() - off);
    for (auto &c : ctx)
      if (c)
        EVP_DigestUpdate(c.get(), data.data() + off, n);
    if (release)
      release(off, off + n);
  }
  Digests out;
  for (int i = 0; i < 3; ++i) {
    if (!ctx[i])
      continue;
    Digest d;
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx[i].get(), d.b.data(), &len);
    d.len = static_cast<std::uint8_t>(len);
    (i == 0 ? out.md5 : i == 1 ? out.sha1 : out.sha256) = d;
  }
  return out;
}

} // namespace vg
