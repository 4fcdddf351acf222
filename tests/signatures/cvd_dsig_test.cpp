#include "signatures/cvd_dsig.hpp"

#include "cvd_test_builder.hpp"

#include <gtest/gtest.h>

namespace vg {
namespace {

using namespace cvdtest;

std::array<std::uint8_t, 16> md5_from_hex(std::string_view hex) {
  auto b = hex_decode(hex);
  std::array<std::uint8_t, 16> out{};
  if (!b || b->size() != 16)
    ADD_FAILURE() << "bad test vector " << hex;
  else
    std::copy(b->begin(), b->end(), out.begin());
  return out;
}

// Known-answer vectors with ClamAV's real key, from ClamAV's unit_tests/check_clamav.c
// (dsig_tests).
constexpr const char *kSigA =
    "60uhCFmiN48J8r6c7coBv9Q1mehAWEGh6GPYA+60VhQcuXfb0iV1O+sCEyMiRXt/"
    "iYF6vXtPXHVd6DiuZ4Gfrry7sVQqNTt3"
    "o1/KwU1rc0l5FHgX/nC99fdr/fjaFtinMtRnUXHLeu0j8e6HK+7JLBpD37fZ60GC9YY86EclYGe";
constexpr const char *kMd5A = "ae307614434715274c60854c931a26de";
constexpr const char *kSigB =
    "Zh5gmf09Zfj6V4gmRKu/"
    "NURzhFiE9VloI7w1G33BgDdGSs0Xhscx6sjPUpFSCPsjOalyS4L8q7RS+NdGvNCsLymiIH6RYItl"
    "OZsygFhcGuH4jt15KAaAkvEg2TwmqR8z41nUaMlZ0c8q1MXYCLvQJyFARsfzIxS3PAoN2Y3HPoe";
constexpr const char *kMd5B = "96b7feb3b2a863846438809fe481906f";

TEST(CvdDsig, ClamAVKeyVerifiesClamAVsOwnVectors) {
  EXPECT_TRUE(verify_md5_signature(md5_from_hex(kMd5A), kSigA, clamav_cvd_key()));
  EXPECT_TRUE(verify_md5_signature(md5_from_hex(kMd5B), kSigB, clamav_cvd_key()));
}

TEST(CvdDsig, ClamAVKeyRefusesClamAVsBadVectors) {
  // Swapped pairs, one MD5 digit changed, one signature digit changed ('F' -> 'a', 'X' -> 'Y'),
  // a signature with one digit too many, and a cut signature (all from check_clamav.c).
  EXPECT_FALSE(verify_md5_signature(md5_from_hex(kMd5A), kSigB, clamav_cvd_key()));
  EXPECT_FALSE(verify_md5_signature(md5_from_hex(kMd5B), kSigA, clamav_cvd_key()));
  EXPECT_FALSE(verify_md5_signature(md5_from_hex("ae307614434715274060854c931a26de"), kSigA,
                                    clamav_cvd_key()));
  std::string a = kSigA, b = kSigB;
  auto a2 = a;
  a2.replace(a2.find("fjaFtin"), 7, "fjaatin");
  EXPECT_FALSE(verify_md5_signature(md5_from_hex(kMd5A), a2, clamav_cvd_key()));
  auto b2 = b;
  b2.replace(b2.find("1MXYC"), 5, "1MYYC");
  EXPECT_FALSE(verify_md5_signature(md5_from_hex(kMd5B), b2, clamav_cvd_key()));
  EXPECT_FALSE(verify_md5_signature(md5_from_hex(kMd5A), a + "e", clamav_cvd_key()));
  EXPECT_FALSE(verify_md5_signature(md5_from_hex(kMd5A), "60uhCFmiN48J8r6c7coBv9Q1mehAWEGh6GPYA+",
                                    clamav_cvd_key()));
}

TEST(CvdDsig, BadTextNeverVerifies) {
  auto md5 = md5_from_hex(kMd5A);
  EXPECT_FALSE(verify_md5_signature(md5, "", clamav_cvd_key()));
  EXPECT_FALSE(verify_md5_signature(md5, "X", clamav_cvd_key())); // an unsigned container's dsig
  std::string bad = kSigA;
  bad[10] = '=';
  EXPECT_FALSE(verify_md5_signature(md5, bad, clamav_cvd_key()));
  EXPECT_FALSE(verify_md5_signature(md5, std::string(5000, 'Z'), clamav_cvd_key()));
  EXPECT_FALSE(verify_md5_signature(md5, kSigA, RsaPublicKey{"0", "3"}));
  EXPECT_FALSE(verify_md5_signature(md5, kSigA, RsaPublicKey{"not a number", "3"}));
}

TEST(CvdDsig, Md5SignatureByGeneratedKey) {
  auto md5 = digest_of("some archive bytes", HashAlgo::md5);
  std::span<const std::uint8_t, 16> m(md5.b.data(), 16);
  auto sig = sign_md5(keys().container.get(), md5);
  EXPECT_TRUE(verify_md5_signature(m, sig, public_key(keys().container.get())));
  EXPECT_FALSE(verify_md5_signature(m, sig, public_key(other_keys().container.get())));
  EXPECT_FALSE(verify_md5_signature(m, sig, clamav_cvd_key()));
  auto other = digest_of("other archive bytes", HashAlgo::md5);
  EXPECT_FALSE(verify_md5_signature(std::span<const std::uint8_t, 16>(other.b.data(), 16), sig,
                                    public_key(keys().container.get())));
}

TEST(CvdDsig, InfoSignatureIsStandardRsaPss) {
  auto h = digest_of("ClamAV-VDB:...\nmain.hdb:1:...\n", HashAlgo::sha256);
  std::span<const std::uint8_t, 32> hs(h.b.data(), 32);
  auto pub = public_key(keys().info.get());
  auto sig = sign_sha256(keys().info.get(), h.bytes());
  EXPECT_TRUE(verify_sha256_signature(hs, sig, pub));
  EXPECT_FALSE(verify_sha256_signature(hs, sig, public_key(other_keys().info.get())));
  EXPECT_FALSE(verify_sha256_signature(hs, sig, clamav_info_key()));
  auto other = digest_of("something else", HashAlgo::sha256);
  EXPECT_FALSE(
      verify_sha256_signature(std::span<const std::uint8_t, 32>(other.b.data(), 32), sig, pub));
  auto flipped = sig;
  flipped[7] = flipped[7] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(verify_sha256_signature(hs, flipped, pub));
  // ClamAV insists on a 32-byte salt.
  pss_salt_len() = 20;
  auto short_salt = sign_sha256(keys().info.get(), h.bytes());
  pss_salt_len() = 32;
  EXPECT_FALSE(verify_sha256_signature(hs, short_salt, pub));
}

TEST(CvdDsig, PublishedKeysHaveTheirSizes) {
  // 1024-bit container key; the .info key's modulus is 2047 bits (its signatures are 256 bytes).
  auto bits = [](const RsaPublicKey &k) {
    BIGNUM *b = nullptr;
    BN_dec2bn(&b, k.n_decimal.c_str());
    int n = BN_num_bits(b);
    BN_free(b);
    return n;
  };
  EXPECT_EQ(bits(clamav_cvd_key()), 1024);
  EXPECT_EQ(bits(clamav_info_key()), 2047);
}

} // namespace
} // namespace vg
