#include "signatures/database_loader.hpp"

#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "signatures/container_metadata_line.hpp"
#include "signatures/cvd_container.hpp"
#include "signatures/logical_line.hpp"
#include "signatures/section_hash_line.hpp"
#include "signatures/signature_line.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace vg {

namespace {

enum class Format {
  hdb,
  hsb,
  ndb,
  fp,
  sfp,
  ign2,
  mdb,
  msb,
  imp,
  ldb,
  cdb,
  container,
  unsupported,
  unknown
};

std::string_view extension_of(std::string_view path) {
  auto slash = path.find_last_of('/');
  auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = name.find_last_of('.');
  return dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
}

Format format_of(std::string_view path) {
  auto ext = extension_of(path);
  if (ext == "hdb")
    return Format::hdb;
  if (ext == "hsb")
    return Format::hsb;
  if (ext == "ndb")
    return Format::ndb;
  if (ext == "fp")
    return Format::fp;
  if (ext == "sfp")
    return Format::sfp;
  if (ext == "ign2")
    return Format::ign2;
  if (ext == "ldb")
    return Format::ldb;
  if (ext == "mdb")
    return Format::mdb;
  if (ext == "msb")
    return Format::msb;
  if (ext == "imp")
    return Format::imp;
  if (ext == "cdb")
    return Format::cdb;
  if (ext == "cvd" || ext == "cld" || ext == "cud")
    return Format::container;
  static constexpr std::string_view later[] = {
      "ldu", "ndu", "hdu", "hsu", "mdu",  "msu",  "cbc",  "crb", "idb", "ftm", "pdb", "gdb",
      "wdb", "cfg", "ign", "yar", "yara", "info", "pwdb", "zmd", "rmd", "db",  "hdu"};
  if (std::find(std::begin(later), std::end(later), ext) != std::end(later))
    return Format::unsupported;
  return Format::unknown;
}

// .ign2 names are given without the ".UNOFFICIAL" suffix.
bool is_ignored(const SignatureSet &set, std::string_view name) {
  if (set.ignored.empty())
    return false;
  if (name.ends_with(".UNOFFICIAL"))
    name.remove_suffix(11);
  return set.ignored.count(std::string(name)) > 0;
}

// The table that signatures of a hash format go to (nullptr for the other formats).
HashTable *hash_table_for(SignatureSet &set, Format fmt) {
  switch (fmt) {
  case Format::hdb:
  case Format::hsb:
    return &set.hashes;
  case Format::fp:
  case Format::sfp:
    return &set.allow;
  case Format::mdb:
  case Format::msb:
    return &set.sections;
  case Format::imp:
    return &set.imports;
  default:
    return nullptr;
  }
}

std::string official_name(std::string name, bool official) {
  if (official)
    return name;
  std::string suffixed; // exact size: `name +=` would leave growth slack in every name kept
  suffixed.reserve(name.size() + 11);
  suffixed.append(name).append(".UNOFFICIAL");
  return suffixed;
}

} // namespace

bool is_supported_database(std::string_view path) {
  auto f = format_of(path);
  return f != Format::unsupported && f != Format::unknown;
}

void load_database_text(SignatureSet &set, const std::string &path, std::string_view text,
                        bool official) {
  Format fmt = format_of(path);
  if (fmt == Format::unsupported)
    throw Error(path, "database format '." + std::string(extension_of(path)) +
                          "' is not supported by this version of voxguard");
  if (fmt == Format::unknown)
    throw Error(path, "not a ClamAV database file (unknown extension)");
  if (fmt == Format::container) {
    load_cvd_container(set, path,
                       {reinterpret_cast<const std::uint8_t *>(text.data()), text.size()});
    return;
  }
  // One signature a line at most: reserving avoids the doubling's slack (tens of MB for
  // main.ldb's 30,000 logical signatures).
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (HashTable *table = hash_table_for(set, fmt))
    table->reserve(lines, text.size() / 3);
  else if (fmt == Format::ldb)
    set.logicals.reserve(set.logicals.size() + lines);
  else if (fmt == Format::ndb)
    set.bodies.reserve(set.bodies.size() + lines);
  auto db = static_cast<std::uint32_t>(set.databases.size());
  set.databases.push_back(path);
  std::uint32_t lineno = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#')
      continue;
    auto where = path + ":" + std::to_string(lineno);
    if (line.find('\0') != std::string_view::npos)
      throw Error(where, "NUL byte in database line");
    SigOrigin origin{db, lineno};
    switch (fmt) {
    case Format::hdb:
    case Format::hsb:
    case Format::fp:
    case Format::sfp:
    case Format::mdb:
    case Format::msb:
    case Format::imp: {
      auto r = fmt == Format::imp                         ? parse_import_hash_line(line)
               : fmt == Format::mdb || fmt == Format::msb ? parse_section_hash_line(line)
                                                          : parse_hash_line(line);
      if (auto *e = std::get_if<LineError>(&r))
        throw Error(where, e->reason);
      if (auto *s = std::get_if<HashSignature>(&r)) {
        s->origin = origin;
        if (fmt == Format::fp || fmt == Format::sfp)
          set.allow.add(*s);
        else if (!is_ignored(set, s->name))
          hash_table_for(set, fmt)->add(*s, official ? "" : ".UNOFFICIAL");
      } else {
        ++set.skipped_by_level;
      }
      break;
    }
    case Format::ndb: {
      auto r = parse_ndb_line(line);
      if (auto *e = std::get_if<LineError>(&r))
        throw Error(where, e->reason);
      if (auto *s = std::get_if<BodySignature>(&r)) {
        s->origin = origin;
        s->name = official_name(std::move(s->name), official);
        if (!is_ignored(set, s->name))
          set.bodies.push_back(std::move(*s));
      } else {
        ++set.skipped_by_level;
      }
      break;
    }
    case Format::ldb: {
      auto r = parse_ldb_line(line);
      if (auto *e = std::get_if<LineError>(&r))
        throw Error(where, e->reason);
      if (auto *s = std::get_if<LogicalSignature>(&r)) {
        s->origin = origin;
        s->name = official_name(std::move(s->name), official);
        if (!is_ignored(set, s->name))
          set.logicals.push_back(std::move(*s));
      } else {
        // ClamAV skips these silently; a name it does not know (a file type in Container, an
        // attribute) is worth a notice, a functionality level outside ours is routine.
        const auto &reason = std::get<LineSkipped>(r).reason;
        if (reason.starts_with("unknown"))
          set.warnings.push_back(where + ": signature skipped: " + reason);
        else
          ++set.skipped_by_level;
      }
      break;
    }
    case Format::cdb: {
      auto r = parse_cdb_line(line);
      if (auto *e = std::get_if<LineError>(&r))
        throw Error(where, e->reason);
      if (auto *s = std::get_if<ContainerMetadataSignature>(&r)) {
        s->origin = origin;
        s->name = official_name(std::move(s->name), official);
        if (!is_ignored(set, s->name))
          set.container_metadata.push_back(std::move(*s));
      } else {
        ++set.skipped_by_level;
      }
      break;
    }
    case Format::ign2: {
      auto r = parse_ign2_line(line);
      if (auto *e = std::get_if<LineError>(&r))
        throw Error(where, e->reason);
      set.ignored.insert(std::get<std::string>(std::move(r)));
      break;
    }
    default:
      break;
    }
  }
}

namespace {
// Parses the file straight from its mapping: no copy of a database's text is ever made.
void load_database_file(SignatureSet &set, const std::string &path) {
  MappedFile m = MappedFile::open(path);
  load_database_text(set, path,
                     std::string_view(reinterpret_cast<const char *>(m.bytes().data()), m.size()));
}
} // namespace

DatabaseFileList list_database_files(const std::vector<std::string> &paths) {
  DatabaseFileList list;
  auto &files = list.files;
  // Expand directories first, then read the .ign2 files before the rest so that an ignored
  // signature is never stored, wherever its ignore list stands in the order.
  for (const auto &p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto &entry : std::filesystem::directory_iterator(p, ec)) {
        auto name = entry.path().string();
        if (!entry.is_regular_file(ec))
          continue;
        if (is_supported_database(name))
          found.push_back(name);
        else if (format_of(name) == Format::unsupported)
          list.warnings.push_back(name + ": database format not supported yet, passed over");
      }
      if (ec)
        throw Error(p, ec.message());
      std::sort(found.begin(), found.end());
      if (found.empty())
        throw Error(p, "no supported database files found in this directory");
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  // Of main.cvd and main.cld only the newer is loaded. Containers come right after the .ign2 files
  // (their own ignore lists then apply to the plain files too), daily.* before main.* by name.
  drop_superseded_containers(files, list.warnings);
  auto plain = std::stable_partition(files.begin(), files.end(), [](const std::string &f) {
    return format_of(f) == Format::ign2;
  });
  std::stable_partition(plain, files.end(),
                        [](const std::string &f) { return format_of(f) == Format::container; });
  return list;
}

SignatureSet load_database_files(const DatabaseFileList &list) {
  SignatureSet set;
  set.warnings = list.warnings;
  for (const auto &f : list.files)
    load_database_file(set, f);
  set.finish();
  return set;
}

SignatureSet load_databases(const std::vector<std::string> &paths) {
  return load_database_files(list_database_files(paths));
}

} // namespace vg
