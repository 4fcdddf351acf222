#include "guard/policy.hpp"

#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "guard/toml_lite.hpp"

#include <array>
#include <cctype>
#include <functional>
#include <map>

namespace vg::guard {

namespace {
constexpr std::array<std::pair<Action, const char *>, 5> kActions{{
    {Action::audit, "audit"},
    {Action::deny, "deny"},
    {Action::deny_stop, "deny+stop"},
    {Action::deny_kill, "deny+kill"},
    {Action::deny_kill_quarantine, "deny+kill+quarantine"},
}};

struct Reader {
  const std::string &input;
  const TomlTable &table;
  std::string where(std::size_t line) const { return input + ":" + std::to_string(line); }

  const TomlValue *get(const std::string &key) const {
    auto it = table.keys.find(key);
    return it == table.keys.end() ? nullptr : &it->second;
  }
  std::optional<std::string> str(const std::string &key) const {
    const TomlValue *v = get(key);
    if (!v)
      return std::nullopt;
    if (auto s = std::get_if<std::string>(&v->v))
      return *s;
    throw Error(where(v->line), "'" + key + "' must be a string");
  }
  std::optional<bool> boolean(const std::string &key) const {
    const TomlValue *v = get(key);
    if (!v)
      return std::nullopt;
    if (auto b = std::get_if<bool>(&v->v))
      return *b;
    throw Error(where(v->line), "'" + key + "' must be true or false");
  }
  std::optional<std::int64_t> integer(const std::string &key, std::int64_t lo,
                                      std::int64_t hi) const {
    const TomlValue *v = get(key);
    if (!v)
      return std::nullopt;
    auto i = std::get_if<std::int64_t>(&v->v);
    if (!i)
      throw Error(where(v->line), "'" + key + "' must be an integer");
    if (*i < lo || *i > hi)
      throw Error(where(v->line), "'" + key + "' must be between " + std::to_string(lo) + " and " +
                                      std::to_string(hi));
    return *i;
  }
  std::string absolute_path(const std::string &key, bool required) const {
    auto s = str(key);
    if (!s) {
      if (required)
        throw Error(where(table.line), "[" + std::string(table.array ? "[" : "") + table.name +
                                           (table.array ? "]" : "") + "] needs '" + key + "'");
      return {};
    }
    if (s->empty() || s->front() != '/')
      throw Error(where(get(key)->line),
                  "'" + key + "' must be an absolute path, got '" + *s + "'");
    return *s;
  }
  void only(std::initializer_list<const char *> allowed) const {
    for (const auto &[k, v] : table.keys) {
      bool ok = false;
      for (const char *a : allowed)
        ok = ok || k == a;
      if (!ok) {
        std::string list;
        for (const char *a : allowed)
          list += (list.empty() ? "" : ", ") + std::string(a);
        throw Error(where(v.line),
                    "unknown key '" + k + "' in [" + table.name + "] (known: " + list + ")");
      }
    }
  }
};

bool is_sha256_hex(const std::string &s) {
  if (s.size() != 64)
    return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f'))
      return false;
  return true;
}
} // namespace

const char *action_name(Action a) {
  for (const auto &[act, name] : kActions)
    if (act == a)
      return name;
  return "?";
}

std::optional<Action> action_from_name(std::string_view name) {
  for (const auto &[act, n] : kActions)
    if (name == n)
      return act;
  return std::nullopt;
}

Policy parse_policy(std::string_view text, const std::string &input) {
  Policy p;
  p.source = input;
  auto tables = parse_toml_lite(text, input);
  for (const auto &t : tables) {
    Reader r{input, t};
    if (t.name.empty()) {
      if (!t.keys.empty())
        throw Error(r.where(t.keys.begin()->second.line),
                    "keys must be inside [guard], [[asset]] or [[trusted]]");
    } else if (t.name == "guard" && !t.array) {
      r.only({"mode", "action", "journal", "journal_versions", "quarantine", "events_file",
              "syslog", "alert_on_number_change", "exempt_neighbours", "pid_file", "signatures"});
      if (auto m = r.str("mode")) {
        if (*m != "auto" && *m != "bpf-lsm" && *m != "fanotify")
          throw Error(r.where(r.get("mode")->line),
                      "mode must be auto, bpf-lsm or fanotify, got '" + *m + "'");
        p.mode = *m;
      }
      if (auto a = r.str("action")) {
        auto act = action_from_name(*a);
        if (!act)
          throw Error(r.where(r.get("action")->line),
                      "action must be audit, deny, deny+stop, deny+kill or deny+kill+quarantine, "
                      "got '" +
                          *a + "'");
        p.action = *act;
      }
      if (auto j = r.absolute_path("journal", false); !j.empty())
        p.journal = j;
      if (auto n = r.integer("journal_versions", 1, 10000))
        p.journal_versions = static_cast<std::size_t>(*n);
      if (auto q = r.absolute_path("quarantine", false); !q.empty())
        p.quarantine = q;
      p.events_file = r.absolute_path("events_file", false);
      if (auto s = r.boolean("syslog"))
        p.syslog = *s;
      if (auto a = r.boolean("alert_on_number_change"))
        p.alert_on_number_change = *a;
      if (auto e = r.boolean("exempt_neighbours"))
        p.exempt_neighbours = *e;
      if (auto f = r.absolute_path("pid_file", false); !f.empty())
        p.pid_file = f;
      if (const TomlValue *v = r.get("signatures")) {
        auto *list = std::get_if<std::vector<TomlValue>>(&v->v);
        if (!list)
          throw Error(r.where(v->line), "'signatures' must be an array of absolute paths");
        for (const auto &item : *list) {
          auto *s = std::get_if<std::string>(&item.v);
          if (!s || s->empty() || s->front() != '/')
            throw Error(r.where(v->line), "'signatures' must be an array of absolute paths");
          p.signatures.push_back(*s);
        }
      }
    } else if (t.name == "asset" && t.array) {
      r.only({"path", "format", "owner", "secret", "protect_directory"});
      AssetRule a;
      a.line = t.line;
      a.path = r.absolute_path("path", true);
      auto f = r.str("format");
      if (!f)
        throw Error(r.where(t.line),
                    "[[asset]] needs 'format' (one of " + asset_format_names() + ")");
      auto fmt = asset_format_from_name(*f);
      if (!fmt)
        throw Error(r.where(r.get("format")->line),
                    "unknown format '" + *f + "' (known: " + asset_format_names() + ")");
      a.format = *fmt;
      a.owner = r.str("owner").value_or("");
      a.secret = r.boolean("secret").value_or(false);
      a.protect_directory = r.boolean("protect_directory").value_or(false);
      p.assets.push_back(std::move(a));
    } else if (t.name == "trusted" && t.array) {
      r.only({"path", "sha256", "app", "uid"});
      TrustedWriter w;
      w.line = t.line;
      w.path = r.absolute_path("path", true);
      auto h = r.str("sha256");
      if (!h)
        throw Error(r.where(t.line), "[[trusted]] needs 'sha256' (of the executable)");
      if (!is_sha256_hex(*h))
        throw Error(r.where(r.get("sha256")->line),
                    "sha256 must be 64 lowercase hex digits, got '" + *h + "'");
      w.sha256 = *h;
      w.app = r.str("app").value_or("");
      if (auto u = r.integer("uid", 0, 0xfffffffe))
        w.uid = static_cast<std::uint32_t>(*u);
      p.trusted.push_back(std::move(w));
    } else {
      throw Error(r.where(t.line),
                  "unknown table '" + t.name + "' (known: [guard], [[asset]], [[trusted]])");
    }
  }
  return p;
}

Policy load_policy(const std::string &path) {
  return parse_policy(read_text_file(path), path);
}

std::string Policy::to_toml() const {
  std::string o = "# voxguard guard policy (format: docs/guard.md)\n[guard]\n";
  o += "mode = " + toml_quote(mode) + "\n";
  o += "action = " + toml_quote(action_name(action)) + "\n";
  o += "journal = " + toml_quote(journal) + "\n";
  o += "journal_versions = " + std::to_string(journal_versions) + "\n";
  o += "quarantine = " + toml_quote(quarantine) + "\n";
  if (!events_file.empty())
    o += "events_file = " + toml_quote(events_file) + "\n";
  o += std::string("syslog = ") + (syslog ? "true" : "false") + "\n";
  o +=
      std::string("alert_on_number_change = ") + (alert_on_number_change ? "true" : "false") + "\n";
  o += std::string("exempt_neighbours = ") + (exempt_neighbours ? "true" : "false") + "\n";
  o += "pid_file = " + toml_quote(pid_file) + "\n";
  if (!signatures.empty()) {
    o += "signatures = [";
    for (std::size_t i = 0; i < signatures.size(); ++i)
      o += (i ? ", " : "") + toml_quote(signatures[i]);
    o += "]\n";
  }
  for (const auto &a : assets) {
    o += "\n[[asset]]\npath = " + toml_quote(a.path) +
         "\nformat = " + toml_quote(asset_format_name(a.format)) + "\n";
    if (!a.owner.empty())
      o += "owner = " + toml_quote(a.owner) + "\n";
    if (a.secret)
      o += "secret = true\n";
    if (a.protect_directory)
      o += "protect_directory = true\n";
  }
  for (const auto &w : trusted) {
    o +=
        "\n[[trusted]]\npath = " + toml_quote(w.path) + "\nsha256 = " + toml_quote(w.sha256) + "\n";
    if (!w.app.empty())
      o += "app = " + toml_quote(w.app) + "\n";
    if (w.uid)
      o += "uid = " + std::to_string(*w.uid) + "\n";
  }
  return o;
}

} // namespace vg::guard
