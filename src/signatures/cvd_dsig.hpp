// cvd_dsig.hpp — ClamAV's digital signatures on database containers, checked with OpenSSL BIGNUMs.
// Promise: the two schemes libclamav verifies (dsig.c), with the public key as a parameter and
// ClamAV's published keys as the defaults:
//   - cli_versig: the container header's dsig is raw RSA over the archive's MD5 (1024-bit key);
//     the decoded value must be exactly the 16-byte MD5, as in ClamAV 1.4.
//   - cli_versig2: the .info member's "DSIG:" line is RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt)
//     over the SHA-256 of the .info lines before it (2048-bit key).
// Signatures are written in ClamAV's own base64: alphabet a-z A-Z 0-9 + /, least significant digit
// first. Bad text (a character outside the alphabet, an oversized signature) verifies as false;
// these functions never throw on input.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vg {

struct RsaPublicKey {
  std::string n_decimal; // modulus
  std::string e_decimal; // public exponent
};

// ClamAV's key for the container header signature (libclamav dsig.c CLI_NSTR / CLI_ESTR).
const RsaPublicKey &clamav_cvd_key();
// ClamAV's key for the .info DSIG line (libclamav readdb.c INFO_NSTR / INFO_ESTR).
const RsaPublicKey &clamav_info_key();

// cli_versig: does `dsig` sign `md5` under `key`?
bool verify_md5_signature(std::span<const std::uint8_t, 16> md5, std::string_view dsig,
                          const RsaPublicKey &key);

// cli_versig2: does `dsig` sign `sha256` under `key` (a 2048-bit key)?
bool verify_sha256_signature(std::span<const std::uint8_t, 32> sha256, std::string_view dsig,
                             const RsaPublicKey &key);

// ClamAV base64 of a big-endian unsigned integer (what a signer writes); for tests and tools.
std::string clamav_base64_encode(std::span<const std::uint8_t> big_endian);

} // namespace vg
