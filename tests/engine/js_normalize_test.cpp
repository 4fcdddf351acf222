// Tests for the JavaScript normaliser (js_normalize.hpp) and the "javascript" buffer of HTML files.
// The fixed expectations are what clamscan 1.4.6 wrote (clamscan --leave-temps keeps the
// "javascript" file in html-tmp.*); the random differential compares normalize_html(...).javascript
// with that file for generated script-bearing HTML files.
#include "engine/js_normalize.hpp"
#include "engine/text_normalize.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace vg {
namespace {

std::vector<std::uint8_t> B(const std::string &s) {
  return {s.begin(), s.end()};
}
std::string str(const std::vector<std::uint8_t> &v) {
  return {v.begin(), v.end()};
}
std::string js_of_html(const std::string &html) {
  return str(normalize_html(B(html)).javascript);
}

TEST(JsNormalize, RenamesDeclaredNamesPerScopeAndFoldsAsClamAV) {
  // clamscan 1.4.6 --leave-temps on the same file.
  const std::string html =
      "<html><body><script>var Foo = \"Hello\\x41 World\"; function bar(a,b){ return a+b;} x = "
      "1.5e3; // c\nalert(unescape(\"%41B\")); y=3.0</script><p>hi</p><SCRIPT>  if (a<b) { "
      "foo(); }  </script></body></html>\n";
  EXPECT_EQ(js_of_html(html), "<script>var n000=\"helloa world\";function "
                              "n001(n002,n003){return n002+n003;}x=1500;c "
                              "alert(\"ab\");y=3</script>\n<script>if(a<b){foo();}</script>");
}

TEST(JsNormalize, RedeclarationEvalStringsNumbersAndUnfinishedTokens) {
  const std::string html =
      "<script>var a; var a; var b; a=b; x.foo = a; function f(q){var a=1; return q+a+b;} f(2); "
      "eval(\"var z=\\x27k\\x27; z\"); s = \"ab\" + \"cd\" + e; u = unescape(\"%41%u0042\"); "
      "n=12345678901; m=1e5; k = 3.25e2; \\q $x _y\n";
  EXPECT_EQ(js_of_html(html),
            "<script>var n001;var n001;var n002;n001=n002;x.foo=n001;function "
            "n003(n004){var n005=1;return n004+n005+n002;}f(2);var "
            "n006=\"k\";s=\"abcd\"+e;u=\"ab\";n=-539222987;m=1 e5;k=325; q $x _y</script>");
}

TEST(JsNormalize, ClosesStringsAndParenthesesAndDropsUnfinishedTokens) {
  EXPECT_EQ(str(normalize_javascript(B("alert((\"abc"))), "<script>alert((\"abc\"))</script>");
  EXPECT_EQ(str(normalize_javascript(B("x = 1; foo"))), "<script>x=1;</script>");
  EXPECT_EQ(str(normalize_javascript(B("/* open comment"))), "<script></script>");
  EXPECT_TRUE(normalize_html(B("<html><body>no script</body></html>")).javascript.empty());
}

TEST(JsNormalize, ScanBuffersAddTheJavascriptBufferForHtml) {
  const auto data = B("<html><script>var q = 1;</script></html>");
  const auto bufs = scan_buffers(data, ClamType::html);
  ASSERT_FALSE(bufs.empty());
  EXPECT_EQ(bufs.back().label, "javascript");
  EXPECT_TRUE(bufs.back().hashed);
  EXPECT_EQ(str(bufs.back().data), "<script>var n000=1;</script>");
  EXPECT_EQ(bufs.back().targets,
            (std::vector<TargetType>{TargetType::any, TargetType::html, TargetType::ascii}));
}

TEST(JsNormalize, HostileInputsStayBounded) {
  // Deep eval nesting, huge numbers, lone backslashes, bytes >= 0x80, NULs.
  std::string deep = "x";
  for (int i = 0; i < 18; ++i) {
    std::string esc;
    for (char c : deep)
      esc += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    deep = "eval(\"" + esc + "\");";
  }
  EXPECT_FALSE(normalize_javascript(B(deep)).empty());
  std::string junk;
  for (int i = 0; i < 4096; ++i)
    junk.push_back(static_cast<char>((i * 131) & 0xff));
  EXPECT_FALSE(normalize_javascript(B(junk)).empty());
  EXPECT_EQ(str(normalize_javascript(B("\\"))), "<script></script>");
}

std::string read_all(const std::filesystem::path &p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// ClamAV's own unit-test references (unit_tests/input/htmlnorm_*.html -> *.js.ref).
TEST(JsNormalize, ClamavHtmlnormReferenceFiles) {
  const std::filesystem::path base =
      std::filesystem::path(VOXGUARD_SHARED_DATA) / "clamav/unittests";
  const std::pair<const char *, const char *> cases[] = {{"htmlnorm_js_test.html", "js.js.ref"},
                                                         {"htmlnorm_encode.html", "encode.js.ref"}};
  for (const auto &[in, ref] : cases) {
    const auto html = base / "htmlnorm_scanfiles" / in;
    const auto expected = base / "htmlnorm_reffiles" / ref;
    if (!std::filesystem::is_regular_file(html) || !std::filesystem::is_regular_file(expected))
      GTEST_SKIP() << "shared test data missing: " << html << " / " << expected;
    EXPECT_EQ(js_of_html(read_all(html)), read_all(expected)) << in;
  }
}

// ---- random differential against clamscan ----

std::string random_script(std::mt19937 &rng) {
  static const std::vector<std::string> atoms = {"var ",
                                                 "function ",
                                                 "return ",
                                                 "if",
                                                 "else",
                                                 "for",
                                                 "while",
                                                 "new ",
                                                 "this",
                                                 "null",
                                                 "true",
                                                 "Var",
                                                 "Function",
                                                 "x",
                                                 "y",
                                                 "abc",
                                                 "$d",
                                                 "_e",
                                                 "document",
                                                 "write",
                                                 "eval",
                                                 "unescape",
                                                 "dF",
                                                 "p",
                                                 "a",
                                                 "c",
                                                 "k",
                                                 "e",
                                                 "r",
                                                 "d",
                                                 " ",
                                                 "  ",
                                                 "\n",
                                                 "\r\n",
                                                 "\t",
                                                 "(",
                                                 ")",
                                                 "{",
                                                 "}",
                                                 "[",
                                                 "]",
                                                 ";",
                                                 ",",
                                                 ".",
                                                 "=",
                                                 "==",
                                                 "===",
                                                 "!==",
                                                 "+",
                                                 "++",
                                                 "+=",
                                                 "-",
                                                 ">>>=",
                                                 "<",
                                                 ">",
                                                 "<=",
                                                 "&&",
                                                 "||",
                                                 "!",
                                                 "?",
                                                 ":",
                                                 "%",
                                                 "^",
                                                 "~",
                                                 "/",
                                                 "*",
                                                 "0",
                                                 "7",
                                                 "42",
                                                 "3.5",
                                                 "1e3",
                                                 "2.5e+2",
                                                 "1.5e",
                                                 "99999999999",
                                                 "0x1f",
                                                 ".5",
                                                 "\"str\"",
                                                 "'sq'",
                                                 "\"a\\x41\\u0042\\n\\t\\\"q\"",
                                                 "\"%41%u0043\"",
                                                 "'it\\'s'",
                                                 "/* c */",
                                                 "// line\n",
                                                 "<!--",
                                                 "-->",
                                                 "\\u0061",
                                                 "\\",
                                                 "@",
                                                 "#",
                                                 "`",
                                                 "\xc3\xa9",
                                                 "A",
                                                 "Z"};
  std::uniform_int_distribution<std::size_t> pick(0, atoms.size() - 1);
  std::uniform_int_distribution<int> len(1, 60);
  std::string s;
  const int n = len(rng);
  for (int i = 0; i < n; ++i)
    s += atoms[pick(rng)];
  switch (rng() % 6) {
  case 0:
    s += "eval(\"var q=1; function g(m){return m+q;}\");";
    break;
  case 1:
    s += "x = unescape(\"%3Cb%3E\") + 'y';";
    break;
  case 2:
    s += "eval(function(p,a,c,k,e,d){return p;}('0 1=\"2\";',3,3,'var|foo|bar'.split('|'),0,{}))";
    break;
  default:
    break;
  }
  return s;
}

std::string random_html(std::mt19937 &rng) {
  std::string h = "<html><body>\n";
  const int scripts = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < scripts; ++i) {
    h += (rng() % 2) ? "<script>" : "<SCRIPT language=\"javascript\">";
    std::string body = random_script(rng);
    if (rng() % 8 == 0) // a long script: crosses htmlnorm's 8 KiB chunks
      while (body.size() < 20000)
        body += " " + random_script(rng);
    h += body;
    if (i + 1 == scripts && rng() % 4 == 0)
      return h; // cut inside the script
    h += (rng() % 5 == 0) ? "</script >" : "</script>";
    h += "<p>text</p>\n";
  }
  return h + "</body></html>\n";
}

TEST(JsNormalizeClamscan, RandomScriptsNormaliseAsClamscan) {
  if (std::system("command -v clamscan >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "clamscan is not installed (Debian package clamav): nothing to compare with";
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vg-jsnorm-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "files");
  fs::create_directories(dir / "tmp");
  std::ofstream(dir / "d.ndb") << "VG.Dummy:3:*:00112233445566778899\n";
  std::mt19937 rng(20261127);
  constexpr int kFiles = 400;
  std::map<std::string, std::string> html;
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = "js" + std::to_string(1000 + i) + ".html";
    html[name] = random_html(rng);
    std::ofstream(dir / "files" / name, std::ios::binary) << html[name];
  }
  const std::string cmd =
      "clamscan --no-summary --leave-temps --tempdir=" + (dir / "tmp").string() + " -d " +
      (dir / "d.ndb").string() + " -r " + (dir / "files").string() + " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) <= 1) << cmd;
  // tmp/<date>-<name>.<id>/<name>.<id>/html-tmp.<id>/javascript
  std::map<std::string, std::string> clam;
  for (const auto &e : fs::recursive_directory_iterator(dir / "tmp")) {
    if (e.path().filename() != "javascript")
      continue;
    const std::string top = fs::relative(e.path(), dir / "tmp").begin()->string();
    const auto dash = top.find('-');
    const auto dot = top.rfind('.');
    ASSERT_NE(dash, std::string::npos);
    clam[top.substr(dash + 1, dot - dash - 1)] = read_all(e.path());
  }
  int same = 0;
  int with_script = 0;
  for (const auto &[name, text] : html) {
    const std::string mine = js_of_html(text);
    const auto it = clam.find(name);
    const std::string theirs = it == clam.end() ? std::string() : it->second;
    if (!theirs.empty())
      ++with_script;
    EXPECT_EQ(mine, theirs) << name << " input:\n" << text;
    same += mine == theirs;
  }
  std::cout << same << "/" << kFiles << " files identical to clamscan's javascript file ("
            << with_script << " with one)\n";
  EXPECT_GT(with_script, kFiles / 2);
  fs::remove_all(dir);
}

} // namespace
} // namespace vg
