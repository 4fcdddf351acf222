#include "signatures/cvd_container.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/hex.hpp"
#include "signatures/database_loader.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <array>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>

namespace vg {

namespace {

// Far above any real container (main.cvd unpacks to a few hundred MB), low enough that a
// decompression bomb cannot exhaust memory.
constexpr std::uint64_t kMaxUnpacked = 4ull << 30;

CvdTrust &trust_storage() {
  static CvdTrust trust;
  return trust;
}

bool ends_with_nocase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size())
    return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<long>(suffix.size()),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

bool is_info_name(std::string_view name) {
  return ends_with_nocase(name, ".info");
}
bool is_ignore_list(std::string_view name) {
  return ends_with_nocase(name, ".ign2") || ends_with_nocase(name, ".ign");
}

CvdCheck ok() {
  return {CvdCheck::State::ok, {}};
}
CvdCheck bad(std::string why) {
  return {CvdCheck::State::bad, std::move(why)};
}
CvdCheck not_applicable(std::string why) {
  return {CvdCheck::State::not_applicable, std::move(why)};
}

struct ArchiveFree {
  void operator()(archive *a) const { archive_read_free(a); }
};

std::string archive_error(archive *a) {
  const char *why = archive_error_string(a);
  return why ? why : "read error";
}

// Unpacks the tar (gzip'd or not) into memory. Returns the failure reason, or empty.
std::string unpack(std::span<const std::uint8_t> data, std::vector<CvdMember> &members) {
  if (data.empty())
    return "the archive after the header is empty";
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (!a)
    return "cannot create an archive reader";
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    return std::string("the archive is not a tar or gzip'd tar: ") + archive_error(a.get());
  std::uint64_t total = 0;
  std::set<std::string> seen;
  archive_entry *e = nullptr;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    const char *raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
        archive_entry_symlink(e))
      return "member '" + name + "' is not a regular file";
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
      return "member name '" + name + "' is not a plain file name (ClamAV allows no '/' in a CVD)";
    if (!seen.insert(name).second)
      return "member '" + name + "' appears twice";
    la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (size < 0 || static_cast<std::uint64_t>(size) > kMaxUnpacked - total)
      return "member '" + name + "' is too large (" + std::to_string(size) + " bytes)";
    CvdMember m{name, {}};
    m.data.reserve(static_cast<std::size_t>(std::min<la_int64_t>(size, 64 << 20)));
    char buf[64 * 1024];
    while (true) {
      la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n < 0)
        return "member '" + name + "': " + archive_error(a.get());
      if (n == 0)
        break;
      m.data.append(buf, static_cast<std::size_t>(n));
      if (m.data.size() > static_cast<std::uint64_t>(size))
        return "member '" + name + "' holds more data than its header says";
    }
    if (m.data.size() != static_cast<std::uint64_t>(size))
      return "member '" + name + "' is truncated (" + std::to_string(m.data.size()) + " of " +
             std::to_string(size) + " bytes)";
    total += m.data.size();
    members.push_back(std::move(m));
  }
  if (r != ARCHIVE_EOF) {
    return "the archive is damaged or truncated: " + archive_error(a.get());
  }
  if (members.empty())
    return "the archive holds no files";
  return {};
}

struct InfoEntry {
  std::uint64_t size = 0;
  std::array<std::uint8_t, 32> sha256{};
};

// libclamav's cli_loadinfo: header line, then name:size:sha256 lines, then (signed kinds) DSIG over
// the SHA-256 of every line before it, each with its newline.
CvdCheck check_info(const CvdInspection &c, const std::string &info_name, std::string_view text,
                    const CvdTrust &trust, std::map<std::string, InfoEntry> &entries) {
  bool signed_kind = c.kind != CvdKind::cud;
  std::string hashed;
  bool have_header = false, have_dsig = false;
  std::size_t pos = 0;
  unsigned lineno = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl + 1 - pos);
    pos += raw.size();
    ++lineno;
    std::string_view line = raw;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.remove_suffix(1);
    std::string where = info_name + " line " + std::to_string(lineno);
    if (line.starts_with("DSIG:")) {
      have_dsig = true;
      if (signed_kind) {
        auto digest =
            digest_bytes({reinterpret_cast<const std::uint8_t *>(hashed.data()), hashed.size()},
                         hash_bit(HashAlgo::sha256));
        std::span<const std::uint8_t, 32> h(digest.sha256->b.data(), 32);
        if (!verify_sha256_signature(h, line.substr(5), trust.info))
          return bad(where + ": the DSIG does not verify with the trusted .info key (altered, "
                             "or not signed by ClamAV)");
      }
      break;
    }
    hashed.append(raw);
    if (raw.empty() || raw.back() != '\n')
      hashed.push_back('\n');
    if (line.starts_with("ClamAV-VDB:")) {
      if (have_header)
        return bad(where + ": a second ClamAV-VDB header");
      have_header = true;
      CvdHeader h;
      try {
        h = parse_cvd_header_line(line, where);
      } catch (const Error &e) {
        return bad(e.what());
      }
      const auto &ch = c.header;
      if (h.version != ch.version || h.signatures != ch.signatures ||
          h.functionality_level != ch.functionality_level || h.stime != ch.stime)
        return bad(info_name + ": its header (version " + std::to_string(h.version) + ", " +
                   std::to_string(h.signatures) + " signatures, level " +
                   std::to_string(h.functionality_level) + ", time " + std::to_string(h.stime) +
                   ") does not match the container's (version " + std::to_string(ch.version) +
                   ", " + std::to_string(ch.signatures) + " signatures, level " +
                   std::to_string(ch.functionality_level) + ", time " + std::to_string(ch.stime) +
                   ")");
      continue;
    }
    if (!have_header)
      return bad(where + ": expected the ClamAV-VDB header first");
    auto c1 = line.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos || line.find(':', c2 + 1) != std::string_view::npos)
      return bad(where + ": expected NAME:SIZE:SHA256");
    std::string name(line.substr(0, c1));
    std::string_view size = line.substr(c1 + 1, c2 - c1 - 1), sha = line.substr(c2 + 1);
    InfoEntry entry;
    if (size.empty() || size.size() > 19 ||
        !std::all_of(size.begin(), size.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return bad(where + ": the size '" + std::string(size) + "' is not a number");
    entry.size = std::stoull(std::string(size));
    auto bytes = sha.size() == 64 ? hex_decode(sha) : std::nullopt;
    if (!bytes)
      return bad(where + ": malformed SHA-256 '" + std::string(sha) + "'");
    std::copy(bytes->begin(), bytes->end(), entry.sha256.begin());
    if (name.empty() || !entries.emplace(name, entry).second)
      return bad(where + ": member '" + name + "' is listed twice or has no name");
  }
  if (!have_header)
    return bad(info_name + ": no ClamAV-VDB header");
  if (signed_kind && !have_dsig)
    return bad(info_name + ": no DSIG line (a signed container's .info must be signed)");
  return ok();
}

CvdCheck check_members(const CvdInspection &c, const CvdTrust &trust) {
  auto info = std::find_if(c.members.begin(), c.members.end(),
                           [](const CvdMember &m) { return is_info_name(m.name); });
  if (info == c.members.end())
    return bad("the archive has no .info member (ClamAV refuses such a container)");
  std::map<std::string, InfoEntry> entries;
  auto r = check_info(c, info->name, info->data, trust, entries);
  if (r.state != CvdCheck::State::ok)
    return r;
  for (const auto &m : c.members) {
    if (&m == &*info || m.name == "COPYING")
      continue;
    auto it = entries.find(m.name);
    if (it == entries.end())
      return bad("member '" + m.name + "' is not listed in " + info->name);
    if (it->second.size != m.data.size())
      return bad("member '" + m.name + "' has " + std::to_string(m.data.size()) + " bytes, " +
                 info->name + " says " + std::to_string(it->second.size));
    auto d = digest_bytes({reinterpret_cast<const std::uint8_t *>(m.data.data()), m.data.size()},
                          hash_bit(HashAlgo::sha256));
    if (!std::equal(it->second.sha256.begin(), it->second.sha256.end(), d.sha256->b.begin()))
      return bad("member '" + m.name + "': SHA-256 " + d.sha256->hex() + " differs from " +
                 info->name + "'s " + hex_encode(it->second.sha256));
    entries.erase(it);
  }
  if (!entries.empty())
    return bad("member '" + entries.begin()->first + "' is listed in " + info->name +
               " but missing from the archive");
  return ok();
}

std::optional<CvdHeader> read_header_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::array<std::uint8_t, kCvdHeaderSize> buf{};
  if (!in.read(reinterpret_cast<char *>(buf.data()), buf.size()))
    return std::nullopt;
  try {
    return parse_cvd_header(buf, path);
  } catch (const Error &) {
    return std::nullopt;
  }
}

} // namespace

std::optional<CvdKind> cvd_kind_of(std::string_view path) {
  if (ends_with_nocase(path, ".cvd"))
    return CvdKind::cvd;
  if (ends_with_nocase(path, ".cld"))
    return CvdKind::cld;
  if (ends_with_nocase(path, ".cud"))
    return CvdKind::cud;
  return std::nullopt;
}

const CvdTrust &trusted_cvd_keys() {
  return trust_storage();
}

ScopedCvdTrust::ScopedCvdTrust(CvdTrust keys) : previous_(trust_storage()) {
  trust_storage() = std::move(keys);
}
ScopedCvdTrust::~ScopedCvdTrust() {
  trust_storage() = std::move(previous_);
}

std::string CvdInspection::failure() const {
  for (const CvdCheck *c : {&md5, &signature, &archive, &info})
    if (c->state == CvdCheck::State::bad)
      return c->detail;
  return {};
}

CvdInspection inspect_cvd(std::span<const std::uint8_t> bytes, const std::string &path,
                          const CvdTrust &trust) {
  CvdInspection c;
  auto kind = cvd_kind_of(path);
  if (!kind)
    throw Error(path, "not a database container (expected .cvd, .cld or .cud)");
  c.kind = *kind;
  c.header = parse_cvd_header(bytes, path);
  auto archive = bytes.subspan(kCvdHeaderSize);
  auto md5 = *digest_bytes(archive, hash_bit(HashAlgo::md5)).md5;
  c.archive_md5 = md5.hex();
  if (c.kind == CvdKind::cvd) {
    if (c.archive_md5 != c.header.md5)
      c.md5 = bad("the archive's MD5 is " + c.archive_md5 + " but the header says " + c.header.md5 +
                  " (altered or truncated)");
    else
      c.md5 = ok();
    std::span<const std::uint8_t, 16> m(md5.b.data(), 16);
    if (verify_md5_signature(m, c.header.dsig, trust.container))
      c.signature = ok();
    else
      c.signature = bad("the header's digital signature does not verify with the trusted "
                        "ClamAV key (altered, or not signed by ClamAV)");
  } else {
    const char *why = c.kind == CvdKind::cld
                          ? "a .cld carries no archive signature; its signed .info vouches for it"
                          : "unsigned container (.cud)";
    c.md5 = not_applicable(why);
    c.signature = not_applicable(why);
  }
  auto unpack_failure = unpack(archive, c.members);
  if (!unpack_failure.empty()) {
    c.archive = bad(unpack_failure);
    c.members.clear();
    c.info = not_applicable("the archive did not unpack");
  } else {
    c.archive = ok();
    c.info = check_members(c, trust);
  }
  if (c.header.functionality_level > kFunctionalityLevel)
    c.warnings.push_back(path + ": built for functionality level " +
                         std::to_string(c.header.functionality_level) +
                         ", newer than this voxguard's " + std::to_string(kFunctionalityLevel) +
                         "; signatures that need a newer engine are skipped");
  // As clamscan, for the daily database only: its age tells whether updates still arrive.
  auto slash = path.find_last_of('/');
  if (path.find("daily.", slash == std::string::npos ? 0 : slash + 1) != std::string::npos &&
      c.header.stime != 0) {
    auto now = static_cast<std::uint64_t>(std::time(nullptr));
    if (c.header.stime > now + 3600)
      c.warnings.push_back(path + ": built in the future (" + std::to_string(c.header.stime - now) +
                           " s from now): check the clock and time zone");
    else if (c.header.stime + 7 * 86400 < now)
      c.warnings.push_back(path + ": older than 7 days (" +
                           std::to_string((now - c.header.stime) / 86400) +
                           " days): update it (freshclam)");
  }
  return c;
}

CvdInspection read_cvd(std::span<const std::uint8_t> bytes, const std::string &path,
                       const CvdTrust &trust) {
  auto c = inspect_cvd(bytes, path, trust);
  if (auto why = c.failure(); !why.empty())
    throw Error(path, why);
  return c;
}

void load_cvd_container(SignatureSet &set, const std::string &path,
                        std::span<const std::uint8_t> bytes, const CvdTrust &trust) {
  auto c = read_cvd(bytes, path, trust);
  set.warnings.insert(set.warnings.end(), c.warnings.begin(), c.warnings.end());
  bool official = c.kind != CvdKind::cud;
  // Members passed over, by extension: bytecode.cvd alone holds about a hundred .cbc files.
  std::map<std::string, std::vector<std::string>> passed_over;
  // Ignore lists first, so that they apply to every signature of the container.
  for (bool ignore_pass : {true, false}) {
    for (auto &m : c.members) {
      if (is_ignore_list(m.name) != ignore_pass || m.name == "COPYING" || is_info_name(m.name))
        continue;
      std::string member_path = path + "/" + m.name;
      if (!cvd_kind_of(m.name) && is_supported_database(member_path))
        load_database_text(set, member_path, m.data, official);
      else
        passed_over[m.name.substr(std::min(m.name.find_last_of('.'), m.name.size()))].push_back(
            m.name);
      std::string().swap(m.data);
    }
  }
  for (const auto &[ext, names] : passed_over) {
    if (names.size() == 1)
      set.warnings.push_back(path + "/" + names[0] +
                             ": database format not supported yet, passed over");
    else
      set.warnings.push_back(path + ": " + std::to_string(names.size()) + " " + ext + " files (" +
                             names[0] +
                             ", ...): database format not supported yet, "
                             "passed over");
  }
}

void drop_superseded_containers(std::vector<std::string> &files,
                                std::vector<std::string> &warnings) {
  std::vector<std::string> drop;
  for (const auto &f : files) {
    if (cvd_kind_of(f) != CvdKind::cvd)
      continue;
    std::string twin = f.substr(0, f.size() - 4) + ".cld";
    if (std::find(files.begin(), files.end(), twin) == files.end())
      continue;
    auto cvd = read_header_of(f), cld = read_header_of(twin);
    if (!cvd || !cld)
      continue;
    bool keep_cld = cld->version >= cvd->version;
    const std::string &loser = keep_cld ? f : twin, &winner = keep_cld ? twin : f;
    auto lv = keep_cld ? cvd->version : cld->version, wv = keep_cld ? cld->version : cvd->version;
    warnings.push_back(loser + ": version " + std::to_string(lv) + " is not newer than " + winner +
                       "'s version " + std::to_string(wv) + ", not loaded (remove one of them)");
    drop.push_back(loser);
  }
  std::erase_if(files, [&](const std::string &f) {
    return std::find(drop.begin(), drop.end(), f) != drop.end();
  });
}

} // namespace vg
