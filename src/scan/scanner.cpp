#include "scan/scanner.hpp"

#include "common/error.hpp"
#include "common/hex.hpp"
#include "common/mapped_file.hpp"
#include "scan/containers/container_scanner.hpp"
#include "scan/tree_walker.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <sys/stat.h>
#include <thread>

namespace vg {

FileResult scan_buffer(const Engine &engine, std::span<const std::uint8_t> data, bool allmatch,
                       Engine::Scratch &scratch, const ReleaseFn &release) {
  FileResult r;
  r.size = data.size();
  r.scanned = data.size();
  ScanOutcome o = engine.scan(data, allmatch, scratch, release);
  r.file_type = file_kind_name(o.kind);
  r.allowlisted = o.allowlisted;
  for (const auto &d : o.detections) {
    r.verdicts.push_back(FileVerdict{std::string(d.name), engine.databases()[d.origin.database],
                                     d.kind == Detection::Kind::hash ? "hash" : "body", d.offset});
  }
  r.status = r.verdicts.empty() ? FileResult::Status::clean : FileResult::Status::infected;
  return r;
}

namespace {

constexpr std::size_t kReleaseAbove = std::size_t{2} << 20;

FileResult scan_path(const Engine &engine, const ScanOptions &opts, const std::string &path,
                     Engine::Scratch &scratch) {
  FileResult r;
  const std::string shown = path == "-" ? "stdin" : path; // as clamscan names standard input
  r.path = shown;
  try {
    MappedFile f = MappedFile::open(path, opts.max_filesize);
    bool too_big = f.size() > opts.max_filesize || f.truncated();
    if (too_big) {
      r.size = f.size();
      r.reason = "file size limit exceeded (--max-filesize " + std::to_string(opts.max_filesize) +
                 " bytes)";
      if (opts.alert_exceeds_max) {
        r.status = FileResult::Status::infected;
        r.verdicts.push_back({"Heuristics.Limits.Exceeded.MaxFileSize", "", "heuristic", {}});
      } else {
        r.status = FileResult::Status::skipped;
      }
      return r;
    }
    auto bytes = f.bytes();
    auto scan_bytes = bytes.first(std::min<std::uint64_t>(bytes.size(), opts.max_scansize));
    // Large files: let every pass drop the pages it has left behind, so resident memory stays flat.
    ReleaseFn release;
    if (bytes.size() > kReleaseAbove)
      release = [&f](std::size_t b, std::size_t e) { f.release(b, e); };
    FileResult s = scan_buffer(engine, scan_bytes, opts.allmatch, scratch, release);
    if (opts.scan_containers && (opts.allmatch || s.verdicts.empty())) {
      scan_contents(engine, opts, scratch, scan_bytes, s, release);
      if (!s.verdicts.empty())
        s.status = FileResult::Status::infected;
    }
    s.path = shown;
    s.size = bytes.size();
    if (opts.want_sha256)
      s.sha256 = digest_bytes(bytes, hash_bit(HashAlgo::sha256), release).sha256->hex();
    if (scan_bytes.size() < bytes.size()) {
      s.reason =
          "scanned the first " + std::to_string(scan_bytes.size()) + " bytes only (--max-scansize)";
      if (opts.alert_exceeds_max && (opts.allmatch || s.verdicts.empty())) {
        s.verdicts.push_back({"Heuristics.Limits.Exceeded.MaxScanSize", "", "heuristic", {}});
        s.status = FileResult::Status::infected;
      }
    }
    return s;
  } catch (const Error &e) {
    r.status = FileResult::Status::error;
    r.reason = e.reason();
  } catch (const std::exception &e) {
    r.status = FileResult::Status::error;
    r.reason = e.what();
  }
  return r;
}

} // namespace

ScanTotals run_scan(const Engine &engine, const ScanOptions &opts,
                    const std::function<void(const FileResult &)> &sink,
                    const ProgressFn &progress) {
  unsigned n = opts.threads ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  ScanTotals totals;
  auto account = [&](const FileResult &r) {
    switch (r.status) {
    case FileResult::Status::infected:
      ++totals.infected;
      ++totals.files;
      break;
    case FileResult::Status::clean:
      ++totals.files;
      break;
    case FileResult::Status::error:
      ++totals.errors;
      break;
    case FileResult::Status::skipped:
      ++totals.skipped;
      break;
    }
    totals.bytes_scanned += r.scanned;
    // Read: the files' own bytes; scanned: those plus everything extracted from containers.
    if (r.status == FileResult::Status::clean || r.status == FileResult::Status::infected)
      totals.bytes_read += r.objects ? r.size : r.scanned;
    sink(r);
  };

  std::mutex mu;
  std::condition_variable cv_work, cv_done;
  std::deque<std::pair<std::uint64_t, std::string>> queue;
  std::map<std::uint64_t, FileResult> done;
  bool walk_finished = false;
  const std::size_t max_queue = 4 * n + 16;
  std::uint64_t next_seq = 0, next_out = 0;

  auto worker = [&] {
    Engine::Scratch scratch;
    for (;;) {
      std::pair<std::uint64_t, std::string> job;
      {
        std::unique_lock lk(mu);
        cv_work.wait(lk, [&] { return !queue.empty() || walk_finished; });
        if (queue.empty())
          return;
        job = std::move(queue.front());
        queue.pop_front();
      }
      cv_done.notify_all(); // room in the queue
      FileResult r = scan_path(engine, opts, job.second, scratch);
      {
        std::lock_guard lk(mu);
        done.emplace(job.first, std::move(r));
      }
      cv_done.notify_all();
    }
  };

  // Delivers finished results in order; called with the lock held, releases it around the sink.
  auto drain = [&](std::unique_lock<std::mutex> &lk) {
    for (auto it = done.find(next_out); it != done.end(); it = done.find(next_out)) {
      FileResult r = std::move(it->second);
      done.erase(it);
      ++next_out;
      lk.unlock();
      account(r);
      if (progress)
        progress(totals, r.path);
      lk.lock();
    }
  };

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < n; ++i)
    threads.emplace_back(worker);

  WalkCounters wc;
  walk_paths(
      opts,
      [&](const std::string &path) {
        std::unique_lock lk(mu);
        cv_done.wait(lk, [&] { return queue.size() < max_queue || !done.empty(); });
        drain(lk);
        cv_done.wait(lk, [&] { return queue.size() < max_queue; });
        queue.emplace_back(next_seq++, path);
        cv_work.notify_one();
      },
      [&](const std::string &path, const std::string &reason) {
        std::unique_lock lk(mu);
        FileResult r;
        r.path = path;
        r.status = FileResult::Status::error;
        r.reason = reason;
        done.emplace(next_seq++, std::move(r));
        drain(lk);
      },
      wc);
  {
    std::unique_lock lk(mu);
    walk_finished = true;
  }
  cv_work.notify_all();
  {
    std::unique_lock lk(mu);
    while (next_out < next_seq) {
      cv_done.wait(lk, [&] { return done.count(next_out) > 0; });
      drain(lk);
    }
  }
  for (auto &t : threads)
    t.join();
  totals.directories = wc.directories;
  return totals;
}

} // namespace vg
