#include "guard/discover.hpp"

#include "common/digest.hpp"
#include "common/mapped_file.hpp"

#include <filesystem>
#include <glob.h>
#include <pwd.h>
#include <set>
#include <sys/stat.h>

namespace vg::guard {

namespace fs = std::filesystem;

namespace {
struct Candidate {
  const char *pattern; // relative to the home
  AssetFormat format;
  const char *owner;
  bool secret;
  bool protect_directory;
  bool keep_glob; // protect files that appear later too (e.g. new Jami profiles)
};

// Where each softphone keeps what decides whom a name dials, and its credentials.
const Candidate kCandidates[] = {
    {".baresip/contacts", AssetFormat::baresip_contacts, "baresip", false, true, false},
    {".baresip/current_contact", AssetFormat::opaque, "baresip", false, true, false},
    {".baresip/accounts", AssetFormat::opaque, "baresip", true, true, false},
    {".baresip/config", AssetFormat::opaque, "baresip", false, true, false},
    {".local/share/linphone/friends.db", AssetFormat::linphone_friends_db, "linphone", false, true,
     false},
    {".local/share/linphone/linphone.db", AssetFormat::linphone_friends_db, "linphone", false, true,
     false},
    {".linphonerc", AssetFormat::linphonerc, "linphone", true, false, false},
    {".config/linphone/linphonerc", AssetFormat::linphonerc, "linphone", true, false, false},
    {".local/share/jami/*/profiles/*.vcf", AssetFormat::jami_profile, "jami", false, true, true},
    {".local/share/jami/*/contacts", AssetFormat::opaque, "jami", false, false, false},
    {".local/share/jami/*/archive.gz", AssetFormat::opaque, "jami", true, false, false},
    {".local/share/jami/*/ring_device.key", AssetFormat::opaque, "jami", true, false, false},
    {".config/jami/dring.yml", AssetFormat::opaque, "jami", true, false, false},
    {".twinkle/*.ab", AssetFormat::twinkle_ab, "twinkle", false, false, false},
    {".local/share/evolution/addressbook/*/contacts.db", AssetFormat::eds_contacts_db, "evolution",
     false, true, false},
};

struct KnownExe {
  const char *name;
  const char *app;
};
const KnownExe kExecutables[] = {
    {"baresip", "baresip"},
    {"linphone", "linphone"},
    {"linphonec", "linphone"},
    {"linphone-daemon", "linphone"},
    {"jami", "jami"},
    {"jami-gnome", "jami"},
    {"jamid", "jami"},
    {"dring", "jami"},
    {"twinkle", "twinkle"},
    {"twinkle-console", "twinkle"},
    {"evolution-addressbook-factory", "evolution"},
    {"evolution-addressbook-factory-subprocess", "evolution"},
};

std::vector<std::string> glob_paths(const std::string &pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i)
      out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}
} // namespace

std::vector<std::string> passwd_homes() {
  std::set<std::string> homes;
  setpwent();
  while (struct passwd *pw = getpwent()) {
    if (!pw->pw_dir || pw->pw_dir[0] != '/' || std::string(pw->pw_dir) == "/")
      continue;
    struct stat st {};
    if (stat(pw->pw_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
        (pw->pw_uid == 0 || pw->pw_uid >= 1000))
      homes.insert(pw->pw_dir);
  }
  endpwent();
  return {homes.begin(), homes.end()};
}

DiscoverResult discover(const std::vector<std::string> &homes_in,
                        const std::vector<std::string> &executable_dirs) {
  DiscoverResult r;
  auto homes = homes_in.empty() ? passwd_homes() : homes_in;
  for (auto home : homes) {
    while (home.size() > 1 && home.back() == '/')
      home.pop_back();
    std::error_code ec;
    home = fs::absolute(home, ec).lexically_normal().string();
    std::size_t found = 0;
    for (const auto &c : kCandidates) {
      std::string pattern = home + "/" + c.pattern;
      auto matches = glob_paths(pattern);
      if (matches.empty())
        continue;
      std::vector<std::string> paths;
      if (c.keep_glob) {
        // Protect the profiles folders as a whole: one rule per folder, with the glob for new
        // files.
        std::set<std::string> dirs;
        for (const auto &m : matches)
          dirs.insert(fs::path(m).parent_path().string());
        for (const auto &d : dirs)
          paths.push_back(d + "/*.vcf");
      } else {
        paths = matches;
      }
      for (const auto &p : paths) {
        AssetRule a;
        a.path = p;
        a.format = c.format;
        a.owner = c.owner;
        a.secret = c.secret;
        a.protect_directory = c.protect_directory;
        r.policy.assets.push_back(a);
        r.notes.push_back(std::string("asset: ") + p + " (" + asset_format_name(c.format) +
                          (c.secret ? ", secret" : "") + ")");
        ++found;
      }
    }
    if (found == 0)
      r.notes.push_back("no softphone files under " + home);
  }
  std::set<std::string> seen;
  for (const auto &dir : executable_dirs)
    for (const auto &exe : kExecutables) {
      std::vector<std::string> candidates{dir + "/" + exe.name};
      for (const auto &p : glob_paths(dir + "/*/" + exe.name))
        candidates.push_back(p);
      for (const auto &path : candidates) {
        std::error_code ec;
        auto canonical = fs::canonical(path, ec);
        if (ec || !fs::is_regular_file(canonical) || !seen.insert(canonical.string()).second)
          continue;
        try {
          MappedFile m = MappedFile::open(canonical.string());
          TrustedWriter w;
          w.path = canonical.string();
          w.sha256 = digest_bytes(m.bytes(), hash_bit(HashAlgo::sha256)).sha256->hex();
          w.app = exe.app;
          r.policy.trusted.push_back(w);
          r.notes.push_back("trusted writer: " + w.path + " (" + w.app + ")");
        } catch (const std::exception &e) {
          r.notes.push_back(std::string("skipped ") + path + ": " + e.what());
        }
      }
    }
  if (r.policy.trusted.empty())
    r.notes.push_back("no softphone executable found: only the guard itself may write the assets");
  return r;
}

} // namespace vg::guard
