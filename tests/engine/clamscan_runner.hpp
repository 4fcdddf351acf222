// clamscan_runner.hpp — for differential tests: writes an .ldb database and data files into a
// fresh temporary directory, runs the installed clamscan --allmatch over them and returns the
// "FILE: NAME.UNOFFICIAL FOUND" lines it printed (found() builds the same line for a prediction),
// and compares them with the predicted set.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace vg::test {

inline bool have_clamscan() {
  return std::system("command -v clamscan >/dev/null 2>&1") == 0;
}

class ClamscanRun {
public:
  explicit ClamscanRun(const std::string &tag)
      : dir_(std::filesystem::temp_directory_path() /
             ("vg-" + tag + "-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~ClamscanRun() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string file(std::size_t j) const { return (dir_ / ("f" + std::to_string(j))).string(); }
  // The line clamscan prints when signature `name` (from the .ldb) detects file j.
  std::string found(std::size_t j, const std::string &name) const {
    return file(j) + ": " + name + ".UNOFFICIAL FOUND";
  }

  // Runs clamscan; throws with its output when it fails (e.g. the database does not load).
  std::set<std::string> run(const std::string &ldb,
                            const std::vector<std::vector<std::uint8_t>> &files) const {
    std::ofstream(dir_ / "t.ldb") << ldb;
    std::string cmd = "clamscan --allmatch --no-summary -d " + (dir_ / "t.ldb").string();
    for (std::size_t j = 0; j < files.size(); ++j) {
      std::ofstream f(file(j), std::ios::binary);
      f.write(reinterpret_cast<const char *>(files[j].data()),
              static_cast<std::streamsize>(files[j].size()));
      cmd += " " + file(j);
    }
    FILE *p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p)
      throw std::runtime_error("cannot run clamscan");
    std::string out;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
      out.append(buf, n);
    int status = ::pclose(p);
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
      throw std::runtime_error("clamscan failed: " + out.substr(0, 2000));
    std::set<std::string> found;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      if (line.size() > 6 && line.compare(line.size() - 6, 6, " FOUND") == 0)
        found.insert(line);
    return found;
  }

private:
  std::filesystem::path dir_;
};

inline std::string hex_of(const std::vector<std::uint8_t> &data) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (auto b : data) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return hex;
}

// Every predicted detection must be observed and every observed one predicted; describe() adds
// the case details to a failure message.
inline void expect_same_detections(const std::set<std::string> &expected,
                                   const std::set<std::string> &observed,
                                   const std::function<std::string(const std::string &)> &describe,
                                   std::size_t lines, std::size_t files) {
  for (const auto &e : expected)
    EXPECT_TRUE(observed.count(e)) << "voxguard predicts, clamscan does not: " << describe(e);
  for (const auto &o : observed)
    EXPECT_TRUE(expected.count(o)) << "clamscan reports, voxguard does not: " << describe(o);
  std::cout << lines << " lines x " << files << " files: " << observed.size()
            << " clamscan detections, " << expected.size() << " predicted\n";
}

} // namespace vg::test
