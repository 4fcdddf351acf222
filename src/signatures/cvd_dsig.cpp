#include "signatures/cvd_dsig.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <optional>
#include <vector>

namespace vg {

namespace {

constexpr std::string_view kAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
// A 4096-bit signature needs 683 digits; anything longer is not a signature.
constexpr std::size_t kMaxSignatureDigits = 700;

int digit_value(char c) {
  auto pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

struct BnFree {
  void operator()(BIGNUM *b) const { BN_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX *c) const { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn decimal(const std::string &text) {
  BIGNUM *b = nullptr;
  if (text.empty() || BN_dec2bn(&b, text.c_str()) != static_cast<int>(text.size()))
    BN_free(b), b = nullptr;
  return Bn(b);
}

// cli_decodesig: signature digits -> integer c; p = c^e mod n; p must fit in `plain_len` bytes and
// is returned big-endian, left-padded with zeros.
std::optional<std::vector<std::uint8_t>>
decode_signature(std::string_view sig, std::size_t plain_len, const RsaPublicKey &key) {
  if (sig.empty() || sig.size() > kMaxSignatureDigits)
    return std::nullopt;
  // Six bits per digit, least significant first: build the little-endian byte string directly.
  std::vector<std::uint8_t> le((sig.size() * 6 + 7) / 8, 0);
  for (std::size_t i = 0; i < sig.size(); ++i) {
    int d = digit_value(sig[i]);
    if (d < 0)
      return std::nullopt;
    std::size_t bit = i * 6;
    unsigned v = static_cast<unsigned>(d) << (bit % 8);
    le[bit / 8] |= static_cast<std::uint8_t>(v);
    if (v >> 8)
      le[bit / 8 + 1] |= static_cast<std::uint8_t>(v >> 8);
  }
  Bn n = decimal(key.n_decimal), e = decimal(key.e_decimal);
  Bn c(BN_lebin2bn(le.data(), static_cast<int>(le.size()), nullptr));
  Bn p(BN_new());
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  if (!n || !e || !c || !p || !ctx || BN_is_zero(n.get()))
    return std::nullopt;
  if (BN_mod_exp(p.get(), c.get(), e.get(), n.get(), ctx.get()) != 1)
    return std::nullopt;
  if (static_cast<std::size_t>(BN_num_bytes(p.get())) > plain_len)
    return std::nullopt; // ClamAV: "Resulting signature too large"
  std::vector<std::uint8_t> plain(plain_len);
  if (BN_bn2binpad(p.get(), plain.data(), static_cast<int>(plain_len)) < 0)
    return std::nullopt;
  return plain;
}

std::array<std::uint8_t, 32> sha256_of(std::span<const std::uint8_t> a,
                                       std::span<const std::uint8_t> b = {}) {
  std::array<std::uint8_t, 32> out{};
  unsigned len = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
      EVP_DigestUpdate(ctx, b.data(), b.size()) == 1)
    EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}

} // namespace

const RsaPublicKey &clamav_cvd_key() {
  static const RsaPublicKey key{
      "118640995551645342603070001658453189751527774412027743746599405743243142607464144767361060"
      "640655844749760788890022283424922762488917565551002467771109669598189410434699034532232228"
      "621591089508178591428456220796841621637175567590476666928698770143328137383952820383197532"
      "047771780196576957695822641224262693037",
      "100001027"};
  return key;
}

const RsaPublicKey &clamav_info_key() {
  static const RsaPublicKey key{
      "110888949830485454736595561066271949239289417917950476205916586974135810433227159121724968"
      "065253810558809645206184002243333205346602992339837553417406795028668299096799557343913926"
      "683783612215242053966310901051516412708572770803107343209516537005089417174191687239425078"
      "907029047027075874516216910507543078503833998653464872037984641785373922114027864813598244"
      "611972311028954150937703942166663244845939357624084685168266331921408266679234948220458053"
      "478099328484548458869717064243605586678627758760720594377033653802091016977385775154769350"
      "85469455279994113145977994084618328482151013142393373316337519977244732747977",
      "100002049"};
  return key;
}

bool verify_md5_signature(std::span<const std::uint8_t, 16> md5, std::string_view dsig,
                          const RsaPublicKey &key) {
  auto plain = decode_signature(dsig, 16, key);
  return plain && std::memcmp(plain->data(), md5.data(), 16) == 0;
}

bool verify_sha256_signature(std::span<const std::uint8_t, 32> sha256, std::string_view dsig,
                             const RsaPublicKey &key) {
  constexpr std::size_t hash_len = 32, salt_len = 32, pad_len = 2048 / 8;
  constexpr std::size_t block_len = pad_len - hash_len - 1;
  auto decoded = decode_signature(dsig, pad_len, key);
  if (!decoded || (*decoded)[pad_len - 1] != 0xbc)
    return false;
  const std::uint8_t *masked = decoded->data();
  std::span<const std::uint8_t> h(decoded->data() + block_len, hash_len);
  // MGF1 with SHA-256 over H unmasks the data block.
  std::array<std::uint8_t, block_len> db{};
  for (std::size_t i = 0, counter = 0; i < block_len; ++counter) {
    std::uint8_t c[4] = {
        static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
        static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
    auto block = sha256_of(h, c);
    for (std::size_t k = 0; k < hash_len && i < block_len; ++k, ++i)
      db[i] = block[k] ^ masked[i];
  }
  db[0] &= 0x7f;
  auto one = std::find(db.begin(), db.end(), std::uint8_t{1});
  if (one == db.end() || static_cast<std::size_t>(db.end() - (one + 1)) != salt_len)
    return false;
  std::array<std::uint8_t, 8 + hash_len + salt_len> m{};
  std::copy(sha256.begin(), sha256.end(), m.begin() + 8);
  std::copy(one + 1, db.end(), m.begin() + 8 + hash_len);
  auto expect = sha256_of(m);
  return std::equal(expect.begin(), expect.end(), h.begin());
}

std::string clamav_base64_encode(std::span<const std::uint8_t> big_endian) {
  std::size_t start = 0;
  while (start < big_endian.size() && big_endian[start] == 0)
    ++start;
  std::string out;
  // Walk the bits from the least significant end, six at a time.
  std::size_t bits = (big_endian.size() - start) * 8;
  for (std::size_t bit = 0; bit < bits; bit += 6) {
    unsigned v = 0;
    for (unsigned k = 0; k < 6 && bit + k < bits; ++k) {
      std::size_t b = bit + k;
      std::uint8_t byte = big_endian[big_endian.size() - 1 - b / 8];
      v |= ((byte >> (b % 8)) & 1u) << k;
    }
    out.push_back(kAlphabet[v]);
  }
  while (out.size() > 1 && out.back() == 'a')
    out.pop_back();
  return out;
}

} // namespace vg
