// finding.hpp — what the voice module reports about a message, a stream or audio.
// Promise: every detector reports through Finding; `code` is a stable machine name
// ("sip.missing-header", "audio.inaudible-band", ...), `message` a sentence for people naming the
// offending element. Audio findings fill frequency/level/onset/duration; packet findings fill
// time_s (seconds into the capture).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace vg::voice {

enum class Severity { info, warning, alert };

inline std::string_view to_string(Severity s) {
  switch (s) {
  case Severity::info:
    return "info";
  case Severity::warning:
    return "warning";
  case Severity::alert:
    return "alert";
  }
  return "?";
}

struct Finding {
  std::string code;
  Severity severity = Severity::warning;
  std::string message;
  std::optional<double> time_s;       // when it happened, seconds from the start of the capture
  std::optional<double> frequency_hz; // audio findings
  std::optional<double> level_dbfs;
  std::optional<double> onset_s;
  std::optional<double> duration_s;
  std::string label; // e.g. a known beacon grid, "Bell 202", "ANSam"
};

} // namespace vg::voice
