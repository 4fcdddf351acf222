// cvd_container.hpp — ClamAV database containers: .cvd (signed), .cld (signed, as freshclam keeps
// it after applying diffs), .cud (unsigned), as freshclam leaves them in /var/lib/clamav. Promise:
// a container is checked the way libclamav 1.4 checks it before a single signature is used:
//   - the 512-byte "ClamAV-VDB:" header parses;
//   - .cvd: the archive's MD5 equals the header's, and the header's dsig signs that MD5 with the
//     trusted container key (.cld and .cud carry no archive signature, as in ClamAV);
//   - the archive (gzip'd or plain tar) unpacks completely: regular files only, no '/' in names;
//   - a .info member exists, its header matches the container's (version, signatures, level, time),
//     .cvd/.cld: its DSIG line signs its lines with the trusted .info key, and every member is
//     listed in it with the right size and SHA-256 (and every listed member is present).
// A container that fails any check is refused with a vg::Error naming the file and the reason. A
// functionality level above voxguard's is a warning, as clamscan only warns. Members are read in
// memory and handed to load_database_text as "PATH/member" (official names for .cvd/.cld,
// ".UNOFFICIAL" for .cud, as clamscan names them); formats voxguard does not read yet are passed
// over with a warning.
#pragma once
#include "signatures/cvd_dsig.hpp"
#include "signatures/cvd_header.hpp"
#include "signatures/signature_set.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg {

enum class CvdKind { cvd, cld, cud };

// The container kind of `path` by its extension, or nullopt.
std::optional<CvdKind> cvd_kind_of(std::string_view path);

// The keys a container is checked against; ClamAV's published keys by default.
struct CvdTrust {
  RsaPublicKey container = clamav_cvd_key();
  RsaPublicKey info = clamav_info_key();
};

// The keys load_databases uses (ClamAV's unless replaced). Replacing them is for tests that sign
// their own containers; ScopedCvdTrust restores the previous keys.
const CvdTrust &trusted_cvd_keys();
class ScopedCvdTrust {
public:
  explicit ScopedCvdTrust(CvdTrust keys);
  ~ScopedCvdTrust();
  ScopedCvdTrust(const ScopedCvdTrust &) = delete;
  ScopedCvdTrust &operator=(const ScopedCvdTrust &) = delete;

private:
  CvdTrust previous_;
};

struct CvdMember {
  std::string name;
  std::string data;
};

// One check's outcome, for `voxguard db info`.
struct CvdCheck {
  enum class State { ok, bad, not_applicable } state = State::not_applicable;
  std::string detail; // why it is bad, or why it does not apply
};

// Everything known about a container after every check was tried (no exception for bad input
// beyond an unreadable header).
struct CvdInspection {
  CvdKind kind = CvdKind::cvd;
  CvdHeader header;
  std::string archive_md5; // computed, lowercase hex
  CvdCheck md5, signature, archive, info;
  std::vector<CvdMember> members; // in archive order (empty when the archive did not unpack)
  std::vector<std::string> warnings;
  // The first failed check's reason, or empty when the container is good.
  std::string failure() const;
};

// Runs every check on a container's bytes; `path` names it and decides its kind. Throws vg::Error
// only when the header itself is unreadable.
CvdInspection inspect_cvd(std::span<const std::uint8_t> bytes, const std::string &path,
                          const CvdTrust &trust = trusted_cvd_keys());

// Like inspect_cvd, but throws vg::Error(path, reason) at the first failed check.
CvdInspection read_cvd(std::span<const std::uint8_t> bytes, const std::string &path,
                       const CvdTrust &trust = trusted_cvd_keys());

// Reads, checks and loads a container's members into `set`.
void load_cvd_container(SignatureSet &set, const std::string &path,
                        std::span<const std::uint8_t> bytes,
                        const CvdTrust &trust = trusted_cvd_keys());

// clamscan's rule for X.cvd beside X.cld: only the newer is loaded, the .cld when versions are
// equal. Removes the other from `files` with a warning. A twin whose header cannot be read stays,
// so that loading it reports its error.
void drop_superseded_containers(std::vector<std::string> &files,
                                std::vector<std::string> &warnings);

} // namespace vg
