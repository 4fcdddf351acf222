// db_command.cpp — `voxguard db`: look inside ClamAV database containers (.cvd .cld .cud).
#include "cli/command.hpp"
#include "cli/option_parser.hpp"
#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "signatures/cvd_container.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace {

constexpr const char *kHelp = R"(NAME
    voxguard db - inspect and unpack ClamAV database containers (.cvd .cld .cud)

SYNOPSIS
    voxguard db info FILE
    voxguard db unpack FILE DIR

DESCRIPTION
    freshclam keeps ClamAV's signatures in containers: main.cvd, daily.cld, bytecode.cvd. Each is a
    512-byte text header followed by a tar archive (gzip'd in a .cvd) holding the database files,
    a COPYING file and a .info file that lists every file with its size and SHA-256. voxguard scan
    loads such containers directly (with -d FILE or a directory like /var/lib/clamav); this command
    shows what is in one and whether it would be accepted.

    info FILE
        Prints the header as sigtool --info does (build time, version, number of signatures,
        functionality level, builder; for a .cvd also the MD5 and the digital signature), then the
        outcome of every check voxguard makes before it uses a container:
          MD5 check        (.cvd) the archive's MD5 equals the header's
          Signature check  (.cvd) the header's signature of that MD5 verifies with ClamAV's key
          Archive check    the archive unpacks completely into plain files
          Info check       the .info header matches, its DSIG verifies with ClamAV's .info key
                           (.cvd .cld), and every file has the listed size and SHA-256
        A .cld carries no archive signature (freshclam rewrites it when it applies updates); its
        signed .info vouches for it. A .cud is unsigned: only its .info hashes are checked.
        The last line is "Verification OK." or "Verification FAILED: REASON".

    unpack FILE DIR
        Checks FILE as above and, when it is good, writes its files into DIR (created if needed),
        like sigtool --unpack. Existing files of the same names are replaced; symbolic links in DIR
        are not followed.

OPTIONS
    -h, --help    print this help

EXIT STATUS
    0  the container is good (and, for unpack, was unpacked)
    1  the container failed a check (the reason is printed)
    2  an error occurred: bad arguments, unreadable file, DIR not writable

EXAMPLES
    voxguard db info /var/lib/clamav/daily.cld
    voxguard db unpack /var/lib/clamav/main.cvd /tmp/main
)";

const char *state_text(const vg::CvdCheck &c) {
  switch (c.state) {
  case vg::CvdCheck::State::ok:
    return "ok";
  case vg::CvdCheck::State::bad:
    return "BAD";
  case vg::CvdCheck::State::not_applicable:
    return "not applicable";
  }
  return "?";
}

void print_check(const char *label, const vg::CvdCheck &c) {
  if (c.detail.empty())
    std::printf("%s: %s\n", label, state_text(c));
  else
    std::printf("%s: %s (%s)\n", label, state_text(c), c.detail.c_str());
}

int run_info(const std::string &path) {
  auto file = vg::MappedFile::open(path);
  auto c = vg::inspect_cvd(file.bytes(), path);
  std::printf("File: %s\n", path.c_str());
  std::printf("Build time: %s\n", c.header.display_time().c_str());
  std::printf("Version: %u\n", c.header.version);
  std::printf("Signatures: %u\n", c.header.signatures);
  std::printf("Functionality level: %u\n", c.header.functionality_level);
  std::printf("Builder: %s\n", c.header.builder.c_str());
  if (c.kind == vg::CvdKind::cvd) {
    std::printf("MD5: %s\n", c.header.md5.c_str());
    std::printf("Digital signature: %s\n", c.header.dsig.c_str());
  }
  print_check("MD5 check", c.md5);
  print_check("Signature check", c.signature);
  print_check("Archive check", c.archive);
  print_check("Info check", c.info);
  if (!c.members.empty()) {
    std::printf("Files:");
    for (const auto &m : c.members)
      std::printf(" %s (%zu)", m.name.c_str(), m.data.size());
    std::printf("\n");
  }
  for (const auto &w : c.warnings)
    std::printf("Warning: %s\n", w.c_str());
  auto why = c.failure();
  if (!why.empty()) {
    std::printf("Verification FAILED: %s\n", why.c_str());
    return 1;
  }
  std::printf("Verification OK.\n");
  return 0;
}

void write_member(const std::filesystem::path &dir, const vg::CvdMember &m) {
  auto target = (dir / m.name).string();
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    throw vg::Error(target, std::strerror(errno));
  std::size_t done = 0;
  while (done < m.data.size()) {
    ssize_t n = ::write(fd, m.data.data() + done, m.data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw vg::Error(target, std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    throw vg::Error(target, std::strerror(errno));
}

int run_unpack(const std::string &path, const std::string &dir) {
  auto file = vg::MappedFile::open(path);
  auto c = vg::inspect_cvd(file.bytes(), path);
  if (auto why = c.failure(); !why.empty()) {
    std::fprintf(stderr, "voxguard db: %s: %s (nothing unpacked)\n", path.c_str(), why.c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw vg::Error(dir, ec.message());
  for (const auto &m : c.members)
    write_member(dir, m);
  for (const auto &w : c.warnings)
    std::fprintf(stderr, "WARNING: %s\n", w.c_str());
  std::printf("%s: %zu files unpacked into %s\n", path.c_str(), c.members.size(), dir.c_str());
  return 0;
}

int run_db_command(int argc, char **argv) {
  bool help = false;
  std::vector<vg::cli::OptionSpec> specs = {
      {'h', "help", false, [&](const std::string &) { help = true; }},
  };
  std::vector<std::string> args;
  try {
    args = vg::cli::parse_options(argc, argv, specs);
  } catch (const vg::Error &e) {
    std::fprintf(stderr, "voxguard db: %s\n", e.what());
    return 2;
  }
  if (help) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  try {
    if (args.size() == 2 && args[0] == "info")
      return run_info(args[1]);
    if (args.size() == 3 && args[0] == "unpack")
      return run_unpack(args[1], args[2]);
  } catch (const vg::Error &e) {
    std::fprintf(stderr, "voxguard db: %s\n", e.what());
    return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "voxguard db: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "voxguard db: expected 'info FILE' or 'unpack FILE DIR' (see voxguard db "
                       "--help)\n");
  return 2;
}

} // namespace

VOXGUARD_COMMAND(db, "db", "inspect and unpack ClamAV database containers (.cvd .cld .cud)",
                 run_db_command);
