// finding_json.cpp — renderings of findings and verdicts.
#include "voice/finding_json.hpp"

#include <cmath>
#include <cstdio>

namespace vg::voice {
namespace {
double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}
} // namespace

nlohmann::json to_json(const Finding &f) {
  nlohmann::json j;
  j["type"] = "finding";
  j["code"] = f.code;
  j["severity"] = std::string(to_string(f.severity));
  j["message"] = f.message;
  if (f.time_s)
    j["time_s"] = round3(*f.time_s);
  if (f.frequency_hz)
    j["frequency_hz"] = std::round(*f.frequency_hz * 10.0) / 10.0;
  if (f.level_dbfs)
    j["level_dbfs"] = std::round(*f.level_dbfs * 10.0) / 10.0;
  if (f.onset_s)
    j["onset_s"] = round3(*f.onset_s);
  if (f.duration_s)
    j["duration_s"] = round3(*f.duration_s);
  if (!f.label.empty())
    j["label"] = f.label;
  return j;
}

nlohmann::json to_json(const SipVerdict &v, const std::string &input) {
  nlohmann::json j;
  j["type"] = "sip_message";
  j["input"] = input;
  j["verdict"] = std::string(v.name());
  if (!v.parsed()) {
    j["reason"] = v.reason;
    return j;
  }
  const auto &m = *v.message;
  j["start_line"] = m.summary();
  if (!m.call_id.empty())
    j["call_id"] = m.call_id;
  if (m.from)
    j["from"] = m.from->uri.text;
  if (m.to)
    j["to"] = m.to->uri.text;
  j["findings"] = nlohmann::json::array();
  for (const auto &f : m.findings)
    j["findings"].push_back(to_json(f));
  return j;
}

std::string to_text(const Finding &f) {
  std::string s = "[" + std::string(to_string(f.severity)) + "] " + f.code + ": " + f.message;
  char buf[160];
  if (f.frequency_hz) {
    std::snprintf(buf, sizeof buf, " (%.0f Hz", *f.frequency_hz);
    s += buf;
    if (f.level_dbfs) {
      std::snprintf(buf, sizeof buf, ", %.1f dBFS", *f.level_dbfs);
      s += buf;
    }
    if (f.onset_s) {
      std::snprintf(buf, sizeof buf, ", onset %.3f s", *f.onset_s);
      s += buf;
    }
    if (f.duration_s) {
      std::snprintf(buf, sizeof buf, ", %.3f s long", *f.duration_s);
      s += buf;
    }
    s += ")";
  } else if (f.time_s) {
    std::snprintf(buf, sizeof buf, " at %.3f s", *f.time_s);
    s += buf;
  }
  if (!f.label.empty())
    s += " [" + f.label + "]";
  return s;
}

} // namespace vg::voice
