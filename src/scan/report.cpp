#include "scan/report.hpp"

#include "scan/containers/container_scanner.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

namespace vg {

namespace {
const char *status_name(FileResult::Status s) {
  switch (s) {
  case FileResult::Status::clean:
    return "clean";
  case FileResult::Status::infected:
    return "infected";
  case FileResult::Status::error:
    return "error";
  case FileResult::Status::skipped:
    return "skipped";
  }
  return "?";
}

std::string clamscan_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y:%m:%d %H:%M:%S", &tm);
  return buf;
}

std::string iso_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json chain_json(const std::vector<ChainLink> &chain) {
  auto a = nlohmann::json::array();
  for (const auto &l : chain)
    a.push_back({{"name", l.name}, {"type", l.type}, {"method", l.method}});
  return a;
}

const char *notice_kind(ScanNotice::Kind k) {
  switch (k) {
  case ScanNotice::Kind::limit:
    return "limit";
  case ScanNotice::Kind::encrypted:
    return "encrypted";
  case ScanNotice::Kind::damaged:
    return "damaged";
  }
  return "?";
}

void print_json(std::FILE *out, const nlohmann::json &j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fprintf(out, "%s\n", s.c_str());
}
} // namespace

std::string format_megabytes(std::uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

void Report::file(const FileResult &r) {
  if (opts_.json) {
    nlohmann::json j;
    j["path"] = r.path;
    j["status"] = status_name(r.status);
    j["size"] = r.size;
    if (!r.sha256.empty())
      j["sha256"] = r.sha256;
    if (!r.file_type.empty())
      j["file_type"] = r.file_type;
    if (!r.reason.empty())
      j["reason"] = r.reason;
    if (r.allowlisted)
      j["allowlisted"] = true;
    auto verdicts = nlohmann::json::array();
    for (const auto &v : r.verdicts) {
      nlohmann::json jv{{"signature", v.name}, {"kind", v.kind}};
      if (!v.database.empty())
        jv["database"] = v.database;
      if (v.offset)
        jv["offset"] = *v.offset;
      if (!v.chain.empty()) {
        jv["container_path"] = r.path + " > " + chain_text(v.chain);
        jv["chain"] = chain_json(v.chain);
      }
      verdicts.push_back(std::move(jv));
    }
    j["verdicts"] = std::move(verdicts);
    if (r.objects)
      j["objects_scanned"] = r.objects;
    if (!r.notices.empty()) {
      auto notices = nlohmann::json::array();
      for (const auto &n : r.notices) {
        nlohmann::json jn{{"kind", notice_kind(n.kind)}, {"detail", n.detail}};
        if (!n.limit.empty())
          jn["limit"] = n.limit;
        jn["where"] = n.where.empty() ? r.path : r.path + " > " + chain_text(n.where);
        jn["chain"] = chain_json(n.where);
        notices.push_back(std::move(jn));
      }
      j["notices"] = std::move(notices);
    }
    print_json(out_, j);
    return;
  }
  // Container notices go to standard error, so that standard output keeps clamscan's format.
  for (const auto &n : r.notices) {
    if (n.kind == ScanNotice::Kind::damaged)
      continue; // damage is common in real files; --json lists it
    std::string where = n.where.empty() ? r.path : r.path + " > " + chain_text(n.where);
    if (n.kind == ScanNotice::Kind::limit)
      std::fprintf(stderr, "WARNING: %s: %s limit exceeded: %s\n", where.c_str(), n.limit.c_str(),
                   n.detail.c_str());
    else
      std::fprintf(stderr, "WARNING: %s: %s\n", where.c_str(), n.detail.c_str());
  }
  switch (r.status) {
  case FileResult::Status::infected:
    for (const auto &v : r.verdicts)
      std::fprintf(out_, "%s: %s FOUND\n", r.path.c_str(), v.name.c_str());
    break;
  case FileResult::Status::clean:
    if (!opts_.infected_only)
      std::fprintf(out_, "%s: OK\n", r.path.c_str());
    break;
  case FileResult::Status::error:
    std::fprintf(out_, "%s: %s ERROR\n", r.path.c_str(), r.reason.c_str());
    break;
  case FileResult::Status::skipped:
    std::fprintf(out_, "%s: %s SKIPPED\n", r.path.c_str(), r.reason.c_str());
    break;
  }
  std::fflush(out_);
}

void Report::summary(const ScanTotals &t, const SummaryInfo &info) {
  if (opts_.json) {
    nlohmann::json j{{"summary",
                      {{"known_signatures", info.known_signatures},
                       {"engine_version", info.engine_version},
                       {"databases", info.databases},
                       {"scanned_directories", t.directories},
                       {"scanned_files", t.files},
                       {"infected_files", t.infected},
                       {"errors", t.errors},
                       {"skipped_files", t.skipped},
                       {"data_scanned_bytes", t.bytes_scanned},
                       {"seconds", info.seconds},
                       {"start", iso_date(info.start)},
                       {"end", iso_date(info.end)}}}};
    print_json(out_, j);
    return;
  }
  if (!opts_.summary)
    return;
  auto secs = static_cast<long>(info.seconds);
  std::fprintf(out_, "\n----------- SCAN SUMMARY -----------\n");
  std::fprintf(out_, "Known viruses: %llu\n",
               static_cast<unsigned long long>(info.known_signatures));
  std::fprintf(out_, "Engine version: %s\n", info.engine_version.c_str());
  std::fprintf(out_, "Scanned directories: %llu\n", static_cast<unsigned long long>(t.directories));
  std::fprintf(out_, "Scanned files: %llu\n", static_cast<unsigned long long>(t.files));
  std::fprintf(out_, "Infected files: %llu\n", static_cast<unsigned long long>(t.infected));
  if (t.errors)
    std::fprintf(out_, "Total errors: %llu\n", static_cast<unsigned long long>(t.errors));
  if (t.skipped)
    std::fprintf(out_, "Skipped files: %llu\n", static_cast<unsigned long long>(t.skipped));
  std::fprintf(out_, "Data scanned: %s\n", format_megabytes(t.bytes_scanned).c_str());
  std::fprintf(out_, "Data read: %s (ratio %.2f:1)\n", format_megabytes(t.bytes_read).c_str(),
               t.bytes_read
                   ? static_cast<double>(t.bytes_scanned) / static_cast<double>(t.bytes_read)
                   : 0.0);
  std::fprintf(out_, "Time: %.3f sec (%ld m %ld s)\n", info.seconds, secs / 60, secs % 60);
  std::fprintf(out_, "Start Date: %s\n", clamscan_date(info.start).c_str());
  std::fprintf(out_, "End Date:   %s\n", clamscan_date(info.end).c_str());
  std::fflush(out_);
}

void Report::fatal(const std::string &input, const std::string &reason) {
  if (opts_.json) {
    print_json(out_, nlohmann::json{{"error", {{"input", input}, {"reason", reason}}}});
    return;
  }
  std::fprintf(stderr, "ERROR: %s%s%s\n", input.c_str(), input.empty() ? "" : ": ", reason.c_str());
}

} // namespace vg
