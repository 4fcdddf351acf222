// finding_json.hpp — JSON and text renderings of voice findings and SIP verdicts.
// Promise: one flat JSON object per finding/verdict (stable keys: type, code, severity, message,
// time_s, frequency_hz, level_dbfs, onset_s, duration_s, label), suitable for one-object-per-line
// output.
#pragma once
#include "voice/finding.hpp"
#include "voice/sip_message.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace vg::voice {

nlohmann::json to_json(const Finding &f);
nlohmann::json to_json(const SipVerdict &v, const std::string &input);
// "  [warning] sip.missing-header: required header fields missing: To" (+ audio details)
std::string to_text(const Finding &f);

} // namespace vg::voice
