// cvd_header.hpp — the text header of a ClamAV database container (.cvd .cld .cud) and of its
// .info. Promise: parses "ClamAV-VDB:build time:version:signatures:functionality
// level:MD5:dsig:builder[:stime]" as libclamav's cl_cvdparse reads it (the container's first 512
// bytes, padded with spaces, or the first line of the .info member). Anything else — a truncated
// header, a missing field, a number that is not a number — is a vg::Error naming the input and the
// field. Nothing here verifies anything.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vg {

constexpr std::size_t kCvdHeaderSize = 512;

struct CvdHeader {
  std::string build_time; // "27 Nov 2026 08-01 +0000" (':' is the separator, so '-')
  std::uint32_t version = 0;
  std::uint32_t signatures = 0;
  std::uint32_t functionality_level = 0;
  std::string md5;  // hex MD5 of the archive after the header ("X" when unsigned)
  std::string dsig; // ClamAV-base64 RSA signature of that MD5 ("X" when unsigned)
  std::string builder;
  std::uint64_t stime = 0; // build time in seconds since the epoch (0: old format)

  // The build time as sigtool --info prints it (first '-' turned back into ':').
  std::string display_time() const;
};

// Parses one header line (no trailing newline needed; trailing spaces and CR/LF are ignored).
CvdHeader parse_cvd_header_line(std::string_view line, const std::string &input);

// Parses the first 512 bytes of a container; `input` names the file in errors.
CvdHeader parse_cvd_header(std::span<const std::uint8_t> container, const std::string &input);

} // namespace vg
