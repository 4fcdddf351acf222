// Unit tests for IgnoreMarks against a real fanotify group (root only; skipped otherwise): a
// folder marked FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, a thread answering its events and counting
// them per inode, and the exemptions added, taken back and capped.
#include "guard/ignore_marks.hpp"

#include <atomic>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace vg::guard;
namespace fs = std::filesystem;

namespace {

class IgnoreMarksTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root (fanotify permission events)";
    group_ = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC);
    if (group_ < 0)
      GTEST_SKIP() << "fanotify permission events are not available here";
    char tmpl[] = "/var/tmp/vg-ignore-marks-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(fanotify_mark(group_, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD,
                            dir_.c_str()),
              0);
    answerer_ = std::thread([this] { answer(); });
  }
  void TearDown() override {
    stop_ = true;
    if (answerer_.joinable())
      answerer_.join();
    if (group_ >= 0)
      close(group_);
    if (!dir_.empty())
      fs::remove_all(dir_);
  }
  void answer() {
    alignas(struct fanotify_event_metadata) char buf[4096];
    while (!stop_) {
      struct pollfd p {
        group_, POLLIN, 0
      };
      if (poll(&p, 1, 50) <= 0)
        continue;
      ssize_t len = read(group_, buf, sizeof buf);
      auto *m = reinterpret_cast<const struct fanotify_event_metadata *>(buf);
      for (; len > 0 && FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
        struct stat st {};
        if (m->fd >= 0 && fstat(m->fd, &st) == 0) {
          std::lock_guard lock(mu_);
          ++events_[st.st_ino];
        }
        struct fanotify_response r {};
        r.fd = m->fd;
        r.response = FAN_ALLOW;
        (void)!write(group_, &r, sizeof r);
        if (m->fd >= 0)
          close(m->fd);
      }
    }
  }
  fs::path make(const std::string &name) {
    fs::path p = dir_ / name;
    std::ofstream(p) << name << '\n';
    return p;
  }
  // Permission events the opens of `p` (n of them) sent to the group.
  int events_for_opens(const fs::path &p, int n = 3) {
    struct stat st {};
    if (stat(p.c_str(), &st) != 0)
      return -1;
    int before;
    {
      std::lock_guard lock(mu_);
      before = events_[st.st_ino];
    }
    for (int i = 0; i < n; ++i) {
      int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        close(fd);
    }
    std::lock_guard lock(mu_);
    return events_[st.st_ino] - before;
  }
  bool exempt(IgnoreMarks &marks, const fs::path &p) {
    int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    fstat(fd, &st);
    bool ok = marks.add(fd, st.st_dev, st.st_ino, p.string());
    close(fd);
    return ok;
  }

  int group_ = -1;
  fs::path dir_;
  std::thread answerer_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<ino_t, int> events_;
};

TEST_F(IgnoreMarksTest, AnExemptInodeSendsNoEventsUntilRevoked) {
  IgnoreMarks marks;
  marks.attach(group_);
  fs::path a = make("a"), b = make("b");
  EXPECT_EQ(events_for_opens(a), 3);
  ASSERT_TRUE(exempt(marks, a));
  EXPECT_EQ(marks.size(), 1u);
  EXPECT_EQ(events_for_opens(a), 0) << "the inode's ignore mask must silence the folder's mark";
  EXPECT_EQ(events_for_opens(b), 3) << "only that inode is exempt";
  marks.revoke(a.string());
  EXPECT_EQ(marks.size(), 0u);
  EXPECT_EQ(events_for_opens(a), 3);
  // revoke() also clears a mask nobody tracks, and is harmless where there is none.
  ASSERT_EQ(fanotify_mark(group_, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_PERM, AT_FDCWD,
                          b.c_str()),
            0);
  EXPECT_EQ(events_for_opens(b), 0);
  marks.revoke(b.string());
  marks.revoke((dir_ / "missing").string());
  EXPECT_EQ(events_for_opens(b), 3);
  // and so does a name change reported for it
  ASSERT_EQ(fanotify_mark(group_, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_PERM, AT_FDCWD,
                          b.c_str()),
            0);
  marks.name_changed(b.string());
  EXPECT_EQ(events_for_opens(b), 3);
}

TEST_F(IgnoreMarksTest, AWriteEndsTheExemptionInTheKernel) {
  IgnoreMarks marks;
  marks.attach(group_);
  fs::path a = make("a");
  ASSERT_TRUE(exempt(marks, a));
  EXPECT_EQ(events_for_opens(a), 0);
  // (this open for writing is exempt too; the write then drops the mask)
  std::ofstream(a, std::ios::app) << "more\n";
  EXPECT_EQ(events_for_opens(a), 3);
  int fd = open(a.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  fstat(fd, &st);
  marks.forget(fd, st.st_dev, st.st_ino);
  close(fd);
  EXPECT_EQ(marks.size(), 0u);
  // An event queued just before the mask was added: forget() removes the mask in the kernel too.
  ASSERT_TRUE(exempt(marks, a));
  EXPECT_EQ(events_for_opens(a), 0);
  fd = open(a.c_str(), O_RDONLY | O_CLOEXEC);
  marks.forget(fd, st.st_dev, st.st_ino);
  close(fd);
  EXPECT_EQ(events_for_opens(a), 3) << "a mask nobody tracks was left behind";
}

TEST_F(IgnoreMarksTest, ARenamedOrLinkedInodeIsTakenBack) {
  IgnoreMarks marks;
  marks.attach(group_);
  fs::path a = make("a"), c = make("c");
  ASSERT_TRUE(exempt(marks, a));
  ASSERT_TRUE(exempt(marks, c));
  // renamed (e.g. over an asset): the new name is reported, the mask goes from the inode there
  fs::rename(a, dir_ / "asset");
  marks.name_changed((dir_ / "asset").string());
  EXPECT_EQ(events_for_opens(dir_ / "asset"), 3);
  // a second name for an exempt inode
  fs::create_hard_link(c, dir_ / "link");
  marks.name_changed((dir_ / "link").string());
  EXPECT_EQ(events_for_opens(c), 3);
  EXPECT_EQ(marks.size(), 0u);
  // the old name reported (renamed away out of sight): taken back through the file handle
  fs::path d = make("d");
  ASSERT_TRUE(exempt(marks, d));
  fs::create_directory(dir_ / "sub");
  fs::rename(d, dir_ / "sub/d");
  marks.name_changed(d.string());
  EXPECT_EQ(marks.size(), 0u);
  EXPECT_EQ(events_for_opens(dir_ / "sub/d"), 0) << "sub/ is not watched: no events either way";
  ASSERT_EQ(fanotify_mark(group_, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD,
                          (dir_ / "sub").c_str()),
            0);
  EXPECT_EQ(events_for_opens(dir_ / "sub/d"), 3) << "the mask stayed on the moved inode";
}

TEST_F(IgnoreMarksTest, TheCapRefusesThenTakesBackStaleEntries) {
  IgnoreMarks marks(3);
  marks.attach(group_);
  std::vector<fs::path> f;
  for (int i = 0; i < 4; ++i)
    f.push_back(make("f" + std::to_string(i)));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(exempt(marks, f[i]));
  EXPECT_FALSE(exempt(marks, f[3])) << "a fourth exemption beyond the cap of 3";
  EXPECT_EQ(marks.size(), 3u);
  EXPECT_EQ(marks.refused(), 1u);
  EXPECT_EQ(events_for_opens(f[3]), 3) << "beyond the cap, opens are judged one by one";
  // An exempt file renamed away without anyone saying so: found stale by the next sweep (at most
  // once a second), its mask removed through its file handle, its place given to the new one.
  fs::rename(f[1], dir_ / "moved");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(exempt(marks, f[3]));
  EXPECT_EQ(marks.size(), 3u);
  EXPECT_EQ(events_for_opens(f[3]), 0);
  EXPECT_EQ(events_for_opens(dir_ / "moved"), 3) << "the stale entry's mask was not removed";
  // A removed file frees its place as soon as its name is reported.
  fs::remove(f[0]);
  marks.name_changed(f[0].string());
  EXPECT_EQ(marks.size(), 2u);
  EXPECT_TRUE(exempt(marks, dir_ / "moved"));
}

} // namespace
