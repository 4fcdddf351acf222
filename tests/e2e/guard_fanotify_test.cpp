// End-to-end: `voxguard guard start` (fanotify mode) protects a baresip contacts file against an
// unknown program that tries to point "Bank" at 987-65-43 by every vector, while a trusted writer
// (listed in the policy with its SHA-256) still writes. Needs root and fanotify; skips otherwise.
#include "common/digest.hpp"
#include "common/mapped_file.hpp"

#include <atomic>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string kOriginal = "#\n# SIP contacts\n#\n"
                              "\"Alice\" <sip:2223344@127.0.0.1:5072>\n"
                              "\"Bank\" <sip:1234567@127.0.0.1:5070>;access=allow\n"
                              "\"Carol\" <sip:5556677@127.0.0.1:5073>\n";
const std::string kTampered = "#\n# SIP contacts\n#\n"
                              "\"Alice\" <sip:2223344@127.0.0.1:5072>\n"
                              "\"Bank\" <sip:9876543@127.0.0.1:5071>;access=allow\n"
                              "\"Carol\" <sip:5556677@127.0.0.1:5073>\n";
const std::string kBankChange =
    "contact \"Bank\": sip:1234567@127.0.0.1:5070 \u2192 sip:9876543@127.0.0.1:5071";

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void put(const fs::path &p, const std::string &s, mode_t mode = 0644) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
  chmod(p.c_str(), mode);
}
std::string sha256_of(const fs::path &p) {
  auto m = vg::MappedFile::open(p.string());
  return vg::digest_bytes(m.bytes(), vg::hash_bit(vg::HashAlgo::sha256)).sha256->hex();
}
std::string real(const std::string &p) {
  std::error_code ec;
  auto r = fs::canonical(p, ec);
  return ec ? p : r.string();
}

// Runs argv with a deadline; returns the wait status (killed with SIGKILL at the deadline).
int run(const std::vector<std::string> &argv, std::chrono::milliseconds deadline = 5000ms,
        const std::vector<std::string> &env = {}) {
  pid_t pid = fork();
  if (pid == 0) {
    for (const auto &e : env)
      putenv(const_cast<char *>(e.c_str()));
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char *> args;
    for (const auto &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  auto end = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  return status;
}
int bash(const std::string &cmd) {
  return run({"/bin/bash", "-c", cmd});
}
// Killed by SIGKILL: directly, or as a shell's child (the shell then exits with 128 + 9).
bool killed(int status) {
  return (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
         (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL);
}

bool fanotify_available() {
  int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
  if (fd < 0)
    return false;
  close(fd);
  return true;
}

class GuardE2E : public ::testing::Test {
protected:
  static inline fs::path dir, home, contacts, accounts, softphone;
  static inline pid_t guard = -1;
  static inline int out_fd = -1;
  static inline std::string skip_reason, banner;
  static inline std::mutex mu;
  static inline std::vector<std::string> lines;
  static inline std::thread reader;

  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      skip_reason = "needs root (fanotify permission events)";
      return;
    }
    if (!fanotify_available()) {
      skip_reason = "fanotify is not available in this kernel";
      return;
    }
    if (!fs::exists(VOXGUARD_BINARY)) {
      skip_reason = std::string("voxguard binary missing: ") + VOXGUARD_BINARY;
      return;
    }
    char tmpl[] = "/tmp/vg-guard-e2e-XXXXXX";
    dir = mkdtemp(tmpl);
    home = dir / "home";
    fs::create_directories(home / ".baresip");
    contacts = home / ".baresip/contacts";
    accounts = home / ".baresip/accounts";
    put(contacts, kOriginal);
    put(accounts, "<sip:caller@127.0.0.1>;auth_pass=secret\n", 0600);
    // The "softphone": a copy of cp, trusted by path + SHA-256. Its sibling copies are not.
    softphone = dir / "softphone";
    fs::copy_file("/usr/bin/cp", softphone);
    fs::copy_file("/usr/bin/cp", dir / "softphone-stale");
    std::ofstream(dir / "softphone-stale", std::ios::app) << '\0'; // runs the same, other digest
    fs::copy_file(real("/usr/bin/python3"), dir / "softphone-py");
    chmod(softphone.c_str(), 0755);
    chmod((dir / "softphone-stale").c_str(), 0755);
    chmod((dir / "softphone-py").c_str(), 0755);
    std::string policy =
        "[guard]\njournal = \"" + (dir / "journal").string() + "\"\npid_file = \"" +
        (dir / "guard.pid").string() + "\"\nevents_file = \"" + (dir / "events.jsonl").string() +
        "\"\nsyslog = false\naction = \"deny+kill\"\nmode = \"auto\"\n"
        "[[asset]]\npath = \"" +
        contacts.string() +
        "\"\nformat = \"baresip-contacts\"\nowner = \"baresip\"\n"
        "protect_directory = true\n"
        "[[asset]]\npath = \"" +
        accounts.string() +
        "\"\nformat = \"opaque\"\nowner = \"baresip\"\nsecret = true\n"
        "[[trusted]]\npath = \"" +
        softphone.string() + "\"\nsha256 = \"" + sha256_of(softphone) +
        "\"\napp = \"baresip\"\n"
        "[[trusted]]\npath = \"" +
        (dir / "softphone-stale").string() + "\"\nsha256 = \"" + sha256_of(softphone) +
        "\"\napp = \"baresip\"\n"
        "[[trusted]]\npath = \"" +
        (dir / "softphone-py").string() + "\"\nsha256 = \"" + sha256_of(dir / "softphone-py") +
        "\"\napp = \"baresip\"\n";
    put(dir / "policy.toml", policy);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    guard = fork();
    if (guard == 0) {
      dup2(p[1], 1);
      close(p[0]);
      execl(VOXGUARD_BINARY, VOXGUARD_BINARY, "guard", "start", "--policy",
            (dir / "policy.toml").c_str(), nullptr);
      _exit(127);
    }
    close(p[1]);
    out_fd = p[0];
    reader = std::thread([] {
      std::string buf;
      char chunk[4096];
      ssize_t n;
      while ((n = read(out_fd, chunk, sizeof chunk)) > 0) {
        buf.append(chunk, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = buf.find('\n')) != std::string::npos) {
          std::lock_guard lock(mu);
          lines.push_back(buf.substr(0, nl));
          buf.erase(0, nl + 1);
        }
      }
    });
    auto end = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < end) {
      {
        std::lock_guard lock(mu);
        if (!lines.empty()) {
          banner = lines.front();
          break;
        }
      }
      std::this_thread::sleep_for(20ms);
    }
    if (banner.find("enforcing") == std::string::npos)
      skip_reason = "the guard did not start: '" + banner + "'";
  }

  static void TearDownTestSuite() {
    if (guard > 0) {
      kill(guard, SIGTERM);
      int st = 0;
      for (int i = 0; i < 100 && waitpid(guard, &st, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(50ms);
      kill(guard, SIGKILL);
      waitpid(guard, &st, WNOHANG);
    }
    if (reader.joinable())
      reader.join();
    if (out_fd >= 0)
      close(out_fd);
    if (!dir.empty())
      fs::remove_all(dir);
  }

  void SetUp() override {
    if (!skip_reason.empty())
      GTEST_SKIP() << skip_reason;
    first_line_ = events().size();
  }
  void TearDown() override {
    if (!HasFailure())
      return;
    auto ev = events();
    for (std::size_t i = first_line_; i < ev.size(); ++i) {
      ev[i].erase("parents");
      std::printf("guard event: %s\n", ev[i].dump().c_str());
    }
  }
  std::size_t first_line_ = 0;

  static std::vector<nlohmann::json> events() {
    std::lock_guard lock(mu);
    std::vector<nlohmann::json> out;
    for (std::size_t i = 1; i < lines.size(); ++i) {
      auto j = nlohmann::json::parse(lines[i], nullptr, false);
      if (!j.is_discarded())
        out.push_back(j);
    }
    return out;
  }
  // Waits up to `limit` for an event of one of `kinds` from executable `exe`, after index `from`.
  static std::optional<nlohmann::json> wait_event(std::size_t from, std::set<std::string> kinds,
                                                  const std::string &exe,
                                                  std::chrono::milliseconds limit = 2000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    do {
      auto ev = events();
      for (std::size_t i = from; i < ev.size(); ++i)
        if (kinds.contains(ev[i].value("event", "")) && ev[i].value("exe", "") == exe)
          return ev[i];
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < end);
    return std::nullopt;
  }
  static bool intact_within(std::chrono::milliseconds limit, mode_t mode = 0644) {
    auto end = std::chrono::steady_clock::now() + limit;
    do {
      struct stat st {};
      if (stat(contacts.c_str(), &st) == 0 && (st.st_mode & 07777) == mode &&
          slurp(contacts) == kOriginal)
        return true;
      std::this_thread::sleep_for(10ms);
    } while (std::chrono::steady_clock::now() < end);
    return false;
  }
};

struct Vector {
  const char *name;
  std::string command;
  std::string exe; // who must be named in the event
  bool blocked;    // true: denied before the change; false: restored from the journal
};

} // namespace

TEST_F(GuardE2E, EveryVectorAgainstTheBankContactFails) {
  std::string c = contacts.string(), d = (home / ".baresip").string(), t = (dir / "t").string();
  put(dir / "t", kTampered);
  std::string py = real("/usr/bin/python3"), bsh = real("/bin/bash");
  std::vector<Vector> vectors = {
      {"append (>>)", "echo evil >> " + c, bsh, true},
      {"open O_TRUNC (>)", "cat " + t + " > " + c, bsh, true},
      {"sed -i", "exec sed -i s/1234567@127.0.0.1:5070/9876543@127.0.0.1:5071/ " + c,
       real("/usr/bin/sed"), true},
      {"python write",
       "exec " + py + " -c \"open('" + c + "','w').write(open('" + t + "').read())\"", py, true},
      {"cp over", "exec cp " + t + " " + c, real("/usr/bin/cp"), true},
      {"truncate(1)", "exec truncate -s 0 " + c, real("/usr/bin/truncate"), true},
      {"shared writable mmap",
       "exec " + py + " -c \"import mmap,os; f=os.open('" + c +
           "',os.O_RDWR); m=mmap.mmap(f,0); m[40:47]=b'9876543'\"",
       py, true},
      {"/proc/PID/fd re-open", "exec 3<" + c + "; echo evil > /proc/$$/fd/3", bsh, true},
      {"plant a file in the folder", "echo x > " + d + "/planted", bsh, true},
      {"rename over", "cp " + t + " " + t + "2 && exec mv " + t + "2 " + c, real("/usr/bin/mv"),
       false},
      {"rename away", "exec mv " + c + " " + dir.string() + "/stolen", real("/usr/bin/mv"), false},
      {"RENAME_EXCHANGE",
       "cp " + t + " " + t + "3 && exec " + py +
           " -c \"import ctypes; l=ctypes.CDLL(None); l.renameat2(-100,b'" + t + "3',-100,b'" + c +
           "',2)\"",
       py, false},
      {"unlink", "exec rm -f " + c, real("/usr/bin/rm"), false},
      {"hard link", "exec ln " + c + " " + d + "/contacts.link", real("/usr/bin/ln"), false},
  };
  if (banner.find("FAN_PRE_ACCESS") != std::string::npos)
    vectors.push_back(
        {"truncate(2)", "exec " + py + " -c \"import os; os.truncate('" + c + "',0)\"", py, true});
  std::string table;
  for (const auto &v : vectors) {
    SCOPED_TRACE(v.name);
    std::size_t from = events().size();
    int status = bash(v.command);
    auto ev = wait_event(from, {"denied", "restored", "planted-removed", "link-removed"}, v.exe);
    ASSERT_TRUE(ev) << "no event naming " << v.exe;
    if (auto denied = wait_event(from, {"denied"}, v.exe, 50ms))
      ev = denied; // a denial and a clean-up of what it left: report the denial
    bool restored_event = ev->value("event", "") != "denied";
    if (v.blocked) {
      EXPECT_EQ(slurp(contacts), kOriginal) << "the write went through";
      EXPECT_TRUE(killed(status)) << "the attacker was not stopped, status " << status;
      EXPECT_TRUE(ev->value("decision", "") == "deny" ||
                  ev->value("event", "") == "planted-removed");
    }
    EXPECT_TRUE(intact_within(1000ms)) << "contacts not byte-identical within 1 s";
    EXPECT_FALSE(ev->value("exe_sha256", "").empty());
    table += std::string("  ") + v.name + ": " + (restored_event ? "restored" : "blocked") + " (" +
             ev->value("vector", "") + ")\n";
  }
  EXPECT_FALSE(fs::exists(home / ".baresip/planted"));
  EXPECT_FALSE(fs::exists(home / ".baresip/contacts.link"));
  std::printf("guard fanotify vectors:\n%s", table.c_str());
}

TEST_F(GuardE2E, ChmodIsUndone) {
  std::size_t from = events().size();
  bash("exec chmod 666 " + contacts.string());
  EXPECT_TRUE(intact_within(1000ms, 0644));
  auto ev = wait_event(from, {"restored"}, real("/usr/bin/chmod"));
  EXPECT_TRUE(ev || !events().empty());
}

TEST_F(GuardE2E, SecretAccountsCannotBeRead) {
  std::size_t from = events().size();
  int status = bash("exec cat " + accounts.string());
  EXPECT_TRUE(killed(status));
  auto ev = wait_event(from, {"denied"}, real("/usr/bin/cat"));
  ASSERT_TRUE(ev);
  EXPECT_NE(ev->value("vector", "").find("(secret)"), std::string::npos);
}

TEST_F(GuardE2E, ReadersStillRead) {
  int status = bash("exec cat " + contacts.string() + " > /dev/null");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(GuardE2E, TrustedWriterWritesAndTheChangeIsDescribed) {
  put(dir / "t", kTampered);
  std::size_t from = events().size();
  int status = run({softphone.string(), (dir / "t").string(), contacts.string()});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(slurp(contacts), kTampered);
  auto ev = wait_event(from, {"changed"}, softphone.string());
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->value("decision", ""), "accept");
  ASSERT_TRUE(ev->contains("changes"));
  EXPECT_EQ((*ev)["changes"][0].get<std::string>(), kBankChange);
  EXPECT_NE(ev->value("detail", "").find("alert"), std::string::npos);
  // and back, so the other tests see the original
  put(dir / "o", kOriginal);
  status = run({softphone.string(), (dir / "o").string(), contacts.string()});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(intact_within(1000ms));
  std::this_thread::sleep_for(300ms); // let the guard journal it as the new good version
}

TEST_F(GuardE2E, TrustIsNotInheritedByPreloadLoaderOrStaleHash) {
  put(dir / "t", kTampered);
  fs::copy_file("/lib/x86_64-linux-gnu/libz.so.1", dir / "evil.so",
                fs::copy_options::overwrite_existing);
  chmod((dir / "evil.so").c_str(), 0666); // a library any user could have written
  std::size_t from = events().size();
  int s1 = run({softphone.string(), (dir / "t").string(), contacts.string()}, 5000ms,
               {"LD_PRELOAD=" + (dir / "evil.so").string()});
  EXPECT_FALSE(WIFEXITED(s1) && WEXITSTATUS(s1) == 0);
  auto ev = wait_event(from, {"denied"}, softphone.string());
  ASSERT_TRUE(ev);
  EXPECT_NE(ev->value("detail", "").find("evil.so"), std::string::npos) << ev->dump();
  EXPECT_TRUE(intact_within(100ms));
  // The dynamic loader running the trusted program: the executable is ld.so, not the softphone.
  int s2 = run(
      {"/lib64/ld-linux-x86-64.so.2", softphone.string(), (dir / "t").string(), contacts.string()});
  EXPECT_FALSE(WIFEXITED(s2) && WEXITSTATUS(s2) == 0);
  EXPECT_TRUE(intact_within(100ms));
  // A listed path whose content is not the listed digest.
  from = events().size();
  int s3 = run({(dir / "softphone-stale").string(), (dir / "t").string(), contacts.string()});
  EXPECT_FALSE(WIFEXITED(s3) && WEXITSTATUS(s3) == 0);
  ev = wait_event(from, {"denied", "restored"}, (dir / "softphone-stale").string());
  ASSERT_TRUE(ev);
  EXPECT_NE(ev->value("detail", "").find("SHA-256 differs"), std::string::npos) << ev->dump();
  EXPECT_TRUE(intact_within(1000ms));
}

TEST_F(GuardE2E, WriteThroughADescriptorStolenFromTheSoftphoneIsDenied) {
  if (banner.find("per-write checks on (FAN_PRE_ACCESS)") == std::string::npos)
    GTEST_SKIP() << "FAN_PRE_ACCESS not available: stolen descriptors are not checked per write";
  // The trusted softphone holds the contacts open read-write; the attacker steals the descriptor.
  fs::path ready = dir / "ready";
  pid_t holder = fork();
  if (holder == 0) {
    std::string code = "import os,time; f=os.open('" + contacts.string() + "',os.O_RDWR); open('" +
                       ready.string() + "','w').write(str(f)); time.sleep(20)";
    execl((dir / "softphone-py").c_str(), (dir / "softphone-py").c_str(), "-c", code.c_str(),
          nullptr);
    _exit(127);
  }
  for (int i = 0; i < 300 && !fs::exists(ready); ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(fs::exists(ready)) << "the trusted holder could not open the contacts";
  std::string fd = slurp(ready);
  std::size_t from = events().size();
  std::string py = real("/usr/bin/python3");
  int status =
      bash("exec " + py + " -c \"import os,ctypes; p=os.pidfd_open(" + std::to_string(holder) +
           "); l=ctypes.CDLL(None,use_errno=True); f=l.syscall(438,p," + fd +
           ",0); assert f>=0, ctypes.get_errno(); os.pwrite(f,b'9876543',40)\"");
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  EXPECT_TRUE(killed(status)) << status;
  auto ev = wait_event(from, {"denied"}, py);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->value("hook", ""), "fanotify:FAN_PRE_ACCESS");
  EXPECT_EQ(ev->value("vector", ""), "pwrite64");
  EXPECT_TRUE(intact_within(100ms));
}

TEST_F(GuardE2E, GuardEditGivesTheEditorAOneTimeAllowance) {
  std::size_t from = events().size();
  int status = run({VOXGUARD_BINARY, "guard", "edit", contacts.string(), "--policy",
                    (dir / "policy.toml").string()},
                   10000ms, {"EDITOR=sed -i s/1234567@127.0.0.1:5070/7654321@127.0.0.1:5070/"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(slurp(contacts).find("sip:7654321@127.0.0.1:5070"), std::string::npos);
  auto ev = wait_event(from, {"changed"}, real("/usr/bin/sed"));
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)["changes"][0].get<std::string>(),
            "contact \"Bank\": sip:1234567@127.0.0.1:5070 \u2192 sip:7654321@127.0.0.1:5070");
  // The allowance was for that editor only: the same command outside `guard edit` is denied.
  int attack = bash("exec sed -i s/7654321/9876543/ " + contacts.string());
  EXPECT_TRUE(killed(attack));
  EXPECT_NE(slurp(contacts).find("sip:7654321@127.0.0.1:5070"), std::string::npos);
  // and back, through guard edit again
  status = run({VOXGUARD_BINARY, "guard", "edit", contacts.string(), "--policy",
                (dir / "policy.toml").string()},
               10000ms, {"EDITOR=sed -i s/7654321@127.0.0.1:5070/1234567@127.0.0.1:5070/"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(intact_within(1000ms));
  std::this_thread::sleep_for(300ms);
}
