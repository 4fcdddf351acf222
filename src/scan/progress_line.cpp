#include "scan/progress_line.hpp"

#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

namespace vg {

ProgressLine::ProgressLine(bool enabled)
    : enabled_(enabled && ::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()),
      last_(start_ - std::chrono::seconds(1)) {}

void ProgressLine::update(const ScanTotals &t, const std::string &current) {
  if (!enabled_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100))
    return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double mb = static_cast<double>(t.bytes_scanned) / (1024.0 * 1024.0);
  int width = 80;
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
    width = ws.ws_col;
  char head[128];
  int n = std::snprintf(head, sizeof head, "%llu files, %.1f MB, %.1f MB/s, ",
                        static_cast<unsigned long long>(t.files + t.errors + t.skipped), mb,
                        secs > 0 ? mb / secs : 0.0);
  int room = width - 1 - n;
  std::string cur = current;
  if (room < 4)
    cur.clear();
  else if (static_cast<int>(cur.size()) > room)
    cur = "..." + cur.substr(cur.size() - static_cast<std::size_t>(room - 3));
  std::fprintf(stderr, "\r\033[K%s%s", head, cur.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void ProgressLine::clear() {
  if (enabled_ && shown_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }
}

} // namespace vg
