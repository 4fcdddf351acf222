// cvd_test_builder.hpp — builds ClamAV database containers for the tests, signed with RSA keys the
// tests generate (never ClamAV's: its private keys are not public).
// Promise: the tar is written by libarchive and the signatures by OpenSSL (raw RSA for the header's
// MD5 signature, standard RSA-PSS/SHA-256 with a 32-byte salt for the .info DSIG), so a container
// that voxguard accepts was made by independent code, not by voxguard's own reader run backwards.
#pragma once
#include "common/digest.hpp"
#include "common/hex.hpp"
#include "signatures/cvd_container.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace vg::cvdtest {

struct PkeyFree {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline Pkey generate_rsa(unsigned bits) {
  EVP_PKEY *k = EVP_RSA_gen(bits);
  if (!k)
    throw std::runtime_error("RSA key generation failed");
  return Pkey(k);
}

inline std::string bn_param_decimal(EVP_PKEY *k, const char *name) {
  BIGNUM *b = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &b) != 1)
    throw std::runtime_error("cannot read RSA parameter");
  char *dec = BN_bn2dec(b);
  std::string out(dec);
  OPENSSL_free(dec);
  BN_free(b);
  return out;
}

inline RsaPublicKey public_key(EVP_PKEY *k) {
  return {bn_param_decimal(k, OSSL_PKEY_PARAM_RSA_N), bn_param_decimal(k, OSSL_PKEY_PARAM_RSA_E)};
}

// The test keys, made once per process: 1024 bits for the header signature, 2048 for .info.
struct Keys {
  Pkey container = generate_rsa(1024);
  Pkey info = generate_rsa(2048);
  CvdTrust trust() const { return {public_key(container.get()), public_key(info.get())}; }
};
inline const Keys &keys() {
  static Keys k;
  return k;
}
inline const Keys &other_keys() {
  static Keys k;
  return k;
}

struct CtxFree {
  void operator()(EVP_PKEY_CTX *c) const { EVP_PKEY_CTX_free(c); }
};

// The PSS salt length the next signature uses (ClamAV requires 32).
inline int &pss_salt_len() {
  static int n = 32;
  return n;
}

inline std::vector<std::uint8_t> pkey_sign(EVP_PKEY *k, const std::vector<std::uint8_t> &in,
                                           bool pss) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(k, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1)
    throw std::runtime_error("sign init failed");
  if (pss) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), pss_salt_len()) != 1)
      throw std::runtime_error("PSS setup failed");
  } else if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1) {
    throw std::runtime_error("raw RSA setup failed");
  }
  std::size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, in.data(), in.size()) != 1)
    throw std::runtime_error("sign size failed");
  std::vector<std::uint8_t> out(len);
  if (EVP_PKEY_sign(ctx.get(), out.data(), &len, in.data(), in.size()) != 1)
    throw std::runtime_error("sign failed");
  out.resize(len);
  return out;
}

// ClamAV's header signature: raw RSA of the 16-byte MD5 (left-padded to the modulus size).
inline std::string sign_md5(EVP_PKEY *k, const Digest &md5) {
  std::vector<std::uint8_t> block(static_cast<std::size_t>(EVP_PKEY_get_size(k)), 0);
  std::copy(md5.b.begin(), md5.b.begin() + 16, block.end() - 16);
  return clamav_base64_encode(pkey_sign(k, block, false));
}

// ClamAV's .info signature: RSA-PSS over the SHA-256.
inline std::string sign_sha256(EVP_PKEY *k, std::span<const std::uint8_t> sha256) {
  return clamav_base64_encode(pkey_sign(k, {sha256.begin(), sha256.end()}, true));
}

inline Digest digest_of(std::string_view s, HashAlgo a) {
  auto d = digest_bytes({reinterpret_cast<const std::uint8_t *>(s.data()), s.size()}, hash_bit(a));
  return *d.get(a);
}

struct Entry {
  std::string name;
  std::string data;
  unsigned type = AE_IFREG;
};

inline std::string tar(const std::vector<Entry> &entries, bool gzip) {
  std::size_t cap = 64 * 1024;
  for (const auto &e : entries)
    cap += e.data.size() * 2 + 2048;
  std::string out(cap, '\0');
  std::size_t used = 0;
  archive *a = archive_write_new();
  archive_write_set_format_ustar(a);
  if (gzip)
    archive_write_add_filter_gzip(a);
  else
    archive_write_add_filter_none(a);
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open_memory(a, out.data(), out.size(), &used) != ARCHIVE_OK)
    throw std::runtime_error(archive_error_string(a));
  for (const auto &e : entries) {
    archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, e.type == AE_IFREG ? static_cast<la_int64_t>(e.data.size()) : 0);
    if (archive_write_header(a, ae) != ARCHIVE_OK)
      throw std::runtime_error(archive_error_string(a));
    if (e.type == AE_IFREG && !e.data.empty())
      archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

// What a container is made of; every field can be spoiled by a test.
struct Spec {
  CvdKind kind = CvdKind::cvd;
  std::uint32_t version = 5, signatures = 1, level = 216;
  std::uint64_t stime = static_cast<std::uint64_t>(std::time(nullptr));
  std::string builder = "vgtest";
  std::vector<Entry> members; // the database files (COPYING and .info are added)
  std::string info_name = "test.info";
  bool with_info = true, sign_info = true;
  std::uint32_t info_version = 0;            // 0: same as version
  std::vector<std::string> info_extra_lines; // listed but maybe absent
  std::vector<Entry> unlisted;               // in the archive, not in the .info
  const Keys *signer = nullptr;              // default keys()
};

inline std::string header_line(const Spec &s, std::uint32_t version, const std::string &md5,
                               const std::string &dsig) {
  return "ClamAV-VDB:27 Nov 2026 08-01 +0000:" + std::to_string(version) + ":" +
         std::to_string(s.signatures) + ":" + std::to_string(s.level) + ":" + md5 + ":" + dsig +
         ":" + s.builder + ":" + std::to_string(s.stime);
}

inline std::string info_text(const Spec &s, const Keys &k) {
  std::string text = header_line(s, s.info_version ? s.info_version : s.version, "X", "X") + "\n";
  for (const auto &m : s.members)
    if (m.type == AE_IFREG)
      text += m.name + ":" + std::to_string(m.data.size()) + ":" +
              digest_of(m.data, HashAlgo::sha256).hex() + "\n";
  for (const auto &l : s.info_extra_lines)
    text += l + "\n";
  if (s.sign_info && s.kind != CvdKind::cud) {
    auto h = digest_of(text, HashAlgo::sha256);
    text += "DSIG:" + sign_sha256(k.info.get(), h.bytes()) + "\n";
  }
  return text;
}

inline std::string build(const Spec &s) {
  const Keys &k = s.signer ? *s.signer : keys();
  std::vector<Entry> entries = {{"COPYING", "test data, no licence terms\n"}};
  if (s.with_info)
    entries.push_back({s.info_name, info_text(s, k)});
  entries.insert(entries.end(), s.members.begin(), s.members.end());
  entries.insert(entries.end(), s.unlisted.begin(), s.unlisted.end());
  std::string archive = tar(entries, s.kind != CvdKind::cld);
  std::string md5 = "X", dsig = "X";
  if (s.kind == CvdKind::cvd) {
    auto d = digest_of(archive, HashAlgo::md5);
    md5 = d.hex();
    dsig = sign_md5(k.container.get(), d);
  }
  std::string head = header_line(s, s.version, md5, dsig);
  head.resize(kCvdHeaderSize, ' ');
  return head + archive;
}

inline std::span<const std::uint8_t> bytes(const std::string &s) {
  return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

} // namespace vg::cvdtest
