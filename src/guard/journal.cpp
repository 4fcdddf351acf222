#include "guard/journal.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/mapped_file.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace vg::guard {

namespace fs = std::filesystem;

FileMeta FileMeta::from_stat(const struct stat &st) {
  FileMeta m;
  m.mode = st.st_mode & 07777;
  m.uid = st.st_uid;
  m.gid = st.st_gid;
  m.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return m;
}

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

std::string now_utc() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string sha256_hex(std::span<const std::uint8_t> b) {
  return digest_bytes(b, hash_bit(HashAlgo::sha256)).sha256->hex();
}

// Writes to a temp file beside `path`, then renames over it. The temp file gets `meta` when given.
void write_atomically(const std::string &path, std::span<const std::uint8_t> bytes, unsigned mode,
                      const FileMeta *meta) {
  fs::path p(path);
  std::string tmpl = (p.parent_path() / ("." + p.filename().string() + ".vg-XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    throw Error(path, "cannot create a temporary file beside it: " + errno_text());
  auto fail = [&](const std::string &what) {
    std::string why = errno_text();
    close(fd);
    unlink(name.data());
    throw Error(path, what + ": " + why);
  };
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("write failed");
    }
    off += static_cast<std::size_t>(n);
  }
  if (meta) {
    if (fchown(fd, meta->uid, meta->gid) != 0)
      fail("fchown failed");
    if (fchmod(fd, meta->mode) != 0)
      fail("fchmod failed");
    struct timespec ts[2];
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = static_cast<time_t>(meta->mtime_ns / 1'000'000'000);
    ts[1].tv_nsec = static_cast<long>(meta->mtime_ns % 1'000'000'000);
    if (futimens(fd, ts) != 0)
      fail("futimens failed");
  } else if (fchmod(fd, mode) != 0) {
    fail("fchmod failed");
  }
  if (fsync(fd) != 0)
    fail("fsync failed");
  close(fd);
  if (rename(name.data(), path.c_str()) != 0) {
    std::string why = errno_text();
    unlink(name.data());
    throw Error(path, "rename into place failed: " + why);
  }
}

nlohmann::json to_json(const std::string &asset, const JournalVersion &v) {
  return {{"asset", asset},      {"version", v.number},
          {"sha256", v.sha256},  {"size", v.size},
          {"mode", v.meta.mode}, {"uid", v.meta.uid},
          {"gid", v.meta.gid},   {"mtime_ns", v.meta.mtime_ns},
          {"time", v.time},      {"writer", v.writer},
          {"good", v.good}};
}

} // namespace

void write_file_atomically(const std::string &path, std::span<const std::uint8_t> bytes,
                           unsigned mode) {
  write_atomically(path, bytes, mode, nullptr);
}

Journal::Journal(std::string dir, std::size_t max_versions)
    : dir_(std::move(dir)), max_versions_(max_versions < 1 ? 1 : max_versions) {
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / "objects", ec);
  if (!ec)
    fs::create_directories(fs::path(dir_) / "assets", ec);
  if (ec)
    throw Error(dir_, "cannot create the journal: " + ec.message());
  chmod(dir_.c_str(), 0700);
}

std::string Journal::index_path(const std::string &asset) const {
  auto d = digest_bytes({reinterpret_cast<const std::uint8_t *>(asset.data()), asset.size()},
                        hash_bit(HashAlgo::sha256));
  return dir_ + "/assets/" + d.sha256->hex().substr(0, 32) + ".jsonl";
}

std::vector<JournalVersion> Journal::read_index(const std::string &asset) const {
  std::vector<JournalVersion> out;
  std::string path = index_path(asset);
  std::ifstream in(path);
  if (!in)
    return out;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty())
      continue;
    try {
      auto j = nlohmann::json::parse(line);
      if (j.at("asset").get<std::string>() != asset)
        throw Error(path, "belongs to another asset");
      JournalVersion v;
      v.number = j.at("version").get<unsigned>();
      v.sha256 = j.at("sha256").get<std::string>();
      v.size = j.at("size").get<std::uint64_t>();
      v.meta.mode = j.at("mode").get<std::uint32_t>();
      v.meta.uid = j.at("uid").get<std::uint32_t>();
      v.meta.gid = j.at("gid").get<std::uint32_t>();
      v.meta.mtime_ns = j.at("mtime_ns").get<std::int64_t>();
      v.time = j.at("time").get<std::string>();
      v.writer = j.at("writer").get<std::string>();
      v.good = j.value("good", true);
      out.push_back(std::move(v));
    } catch (const nlohmann::json::exception &e) {
      throw Error(path + ":" + std::to_string(number),
                  std::string("bad journal entry: ") + e.what());
    }
  }
  return out;
}

void Journal::write_index(const std::string &asset,
                          const std::vector<JournalVersion> &versions) const {
  std::string text;
  for (const auto &v : versions)
    text += to_json(asset, v).dump() + "\n";
  write_atomically(index_path(asset),
                   {reinterpret_cast<const std::uint8_t *>(text.data()), text.size()}, 0600,
                   nullptr);
}

JournalVersion Journal::record(const std::string &asset, std::span<const std::uint8_t> bytes,
                               const FileMeta &meta, const std::string &writer, bool good) {
  std::lock_guard lock(mu_);
  auto versions = read_index(asset);
  std::string digest = sha256_hex(bytes);
  if (!versions.empty()) {
    const auto &last = versions.back();
    if (last.sha256 == digest && last.meta.mode == meta.mode && last.meta.uid == meta.uid &&
        last.meta.gid == meta.gid && last.good == good)
      return last;
  }
  std::string object = dir_ + "/objects/" + digest;
  if (access(object.c_str(), F_OK) != 0)
    write_atomically(object, bytes, 0600, nullptr);
  JournalVersion v;
  v.number = versions.empty() ? 1 : versions.back().number + 1;
  v.sha256 = digest;
  v.size = bytes.size();
  v.meta = meta;
  v.time = now_utc();
  v.writer = writer;
  v.good = good;
  versions.push_back(v);
  // Bounded history; the newest good version always survives, so a flood of untrusted versions
  // can never push the copy the guard restores out of the journal.
  bool trimmed = versions.size() > max_versions_;
  while (versions.size() > max_versions_) {
    std::size_t keep = versions.size();
    for (std::size_t i = versions.size(); i-- > 0;)
      if (versions[i].good) {
        keep = i;
        break;
      }
    versions.erase(versions.begin() + (keep == 0 ? 1 : 0));
  }
  write_index(asset, versions);
  if (trimmed)
    collect_garbage();
  return v;
}

void Journal::collect_garbage() const {
  std::set<std::string> live;
  for (const auto &e : fs::directory_iterator(fs::path(dir_) / "assets")) {
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.contains("sha256") && j["sha256"].is_string())
        live.insert(j["sha256"].get<std::string>());
    }
  }
  for (const auto &e : fs::directory_iterator(fs::path(dir_) / "objects")) {
    std::string name = e.path().filename().string();
    if (!name.starts_with(".") && !live.contains(name)) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
}

std::vector<JournalVersion> Journal::history(const std::string &asset) const {
  std::lock_guard lock(mu_);
  return read_index(asset);
}

std::optional<JournalVersion> Journal::latest(const std::string &asset) const {
  auto h = history(asset);
  if (h.empty())
    return std::nullopt;
  return h.back();
}

std::optional<JournalVersion> Journal::last_good(const std::string &asset) const {
  auto h = history(asset);
  for (auto it = h.rbegin(); it != h.rend(); ++it)
    if (it->good)
      return *it;
  return std::nullopt;
}

std::vector<std::uint8_t> Journal::content(const JournalVersion &v) const {
  std::string object = dir_ + "/objects/" + v.sha256;
  MappedFile m = MappedFile::open(object);
  std::vector<std::uint8_t> out(m.bytes().begin(), m.bytes().end());
  if (sha256_hex(out) != v.sha256)
    throw Error(object, "journal object does not match its digest (corrupted)");
  return out;
}

void Journal::restore(const std::string &asset, const JournalVersion &v) const {
  auto bytes = content(v);
  std::error_code ec;
  fs::create_directories(fs::path(asset).parent_path(), ec);
  if (ec)
    throw Error(asset, "cannot recreate its folder: " + ec.message());
  write_atomically(asset, bytes, v.meta.mode, &v.meta);
}

} // namespace vg::guard
