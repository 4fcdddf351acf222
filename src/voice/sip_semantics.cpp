// sip_semantics.cpp — findings for SIP messages that parse but are semantically wrong or
// suspicious.
#include "voice/sip_message.hpp"

#include "common/ascii_text.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>

namespace vg::voice {
namespace {

void add(SipMessage &m, std::string code, Severity sev, std::string msg) {
  m.findings.push_back({std::move(code), sev, std::move(msg)});
}

bool known_option_tag(std::string_view t) {
  static const std::array<std::string_view, 24> tags = {
      "100rel",       "timer",      "replaces",     "path",         "outbound",
      "gruu",         "norefersub", "precondition", "eventlist",    "from-change",
      "histinfo",     "join",       "sec-agree",    "tdialog",      "resource-priority",
      "answermode",   "pref",       "199",          "ice",          "multiple-refer",
      "record-aware", "siprec",     "sdp-anat",     "target-dialog"};
  std::string l = ascii_lower(t);
  return std::find(tags.begin(), tags.end(), l) != tags.end();
}

bool known_body_type(const MediaType &t) {
  static const std::array<std::string_view, 16> types = {"application/sdp",
                                                         "text/plain",
                                                         "message/sipfrag",
                                                         "message/sip",
                                                         "application/pidf+xml",
                                                         "application/dtmf-relay",
                                                         "application/dtmf",
                                                         "application/simple-message-summary",
                                                         "application/xpidf+xml",
                                                         "application/isup",
                                                         "application/rlmi+xml",
                                                         "application/watcherinfo+xml",
                                                         "application/im-iscomposing+xml",
                                                         "application/pkcs7-mime",
                                                         "application/resource-lists+xml",
                                                         "text/html"};
  if (t.type == "multipart")
    return true;
  return std::find(types.begin(), types.end(), t.full()) != types.end();
}

bool known_uri_param(std::string_view p) {
  static const std::array<std::string_view, 16> params = {
      "transport",  "user", "method",    "ttl",  "maddr",       "lr",      "ob",       "gr",
      "sigcomp-id", "comp", "rinstance", "line", "pn-provider", "pn-prid", "pn-param", "tag"};
  std::string l = ascii_lower(p);
  return std::find(params.begin(), params.end(), l) != params.end();
}

bool routable_scheme(std::string_view s) {
  return s == "sip" || s == "sips" || s == "tel";
}

// 255.255.255.255, 0.0.0.0 or IPv4 multicast: a response sent there is reflected to many hosts
bool broadcast_or_multicast(const std::string &h) {
  unsigned char a[4];
  if (inet_pton(AF_INET, h.c_str(), a) != 1)
    return false;
  return (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) || (a[0] >= 224 && a[0] <= 239);
}

} // namespace

void add_semantic_findings(SipMessage &m, const SipLimits &) {
  // mandatory header fields (RFC 3261 8.1.1 and 20)
  std::vector<std::pair<const char *, const char *>> required = {
      {"to", "To"}, {"from", "From"}, {"call-id", "Call-ID"}, {"cseq", "CSeq"}, {"via", "Via"}};
  if (m.is_request)
    required.emplace_back("max-forwards", "Max-Forwards");
  std::string missing;
  for (auto [c, name] : required)
    if (m.count(c) == 0)
      missing += (missing.empty() ? "" : ", ") + std::string(name);
  if (!missing.empty())
    add(m, "sip.missing-header", Severity::warning, "required header fields missing: " + missing);

  // single-valued fields given more than once
  for (auto [c, name] :
       std::vector<std::pair<const char *, const char *>>{{"to", "To"},
                                                          {"from", "From"},
                                                          {"call-id", "Call-ID"},
                                                          {"cseq", "CSeq"},
                                                          {"max-forwards", "Max-Forwards"},
                                                          {"content-type", "Content-Type"}})
    if (m.count(c) > 1)
      add(m, "sip.duplicate-header", Severity::warning,
          std::string(name) + " appears " + std::to_string(m.count(c)) +
              " times but allows a single value");
  if (m.content_lengths.size() > 1 &&
      std::all_of(m.content_lengths.begin(), m.content_lengths.end(),
                  [&](std::size_t l) { return l == m.content_lengths.front(); }))
    add(m, "sip.duplicate-header", Severity::warning, "Content-Length appears more than once");
  if (m.content_lengths.empty())
    add(m, "sip.missing-content-length", Severity::info,
        "no Content-Length (required over stream transports)");

  // transaction identifier
  if (m.is_request && !m.vias.empty()) {
    const auto *branch = m.vias.front().param("branch");
    if (!branch)
      add(m, "sip.via-no-branch", Severity::info,
          "top Via has no branch parameter (RFC 2543 style transaction identification)");
    else if (branch->value == "z9hG4bK")
      add(m, "sip.via-empty-branch", Severity::warning,
          "top Via branch is only the magic cookie 'z9hG4bK' (no transaction identifier)");
  }
  if (m.is_request && m.from && !m.from->param("tag"))
    add(m, "sip.missing-from-tag", Severity::warning, "From has no tag parameter (RFC 2543 style)");
  if (m.is_request && m.max_forwards && *m.max_forwards == 0)
    add(m, "sip.max-forwards-zero", Severity::info,
        "Max-Forwards is 0: a proxy must not forward this request");

  // URI schemes
  if (m.is_request && !routable_scheme(m.request_uri.scheme))
    add(m, "sip.non-sip-scheme", Severity::warning,
        "Request-URI scheme '" + m.request_uri.scheme +
            "' is not sip, sips or tel (cannot be "
            "routed; expect 416 Unsupported URI Scheme)");
  auto check_scheme = [&](const NameAddr &na, const char *name) {
    if (!routable_scheme(na.uri.scheme))
      add(m, "sip.non-sip-scheme", Severity::warning,
          std::string(name) + " URI scheme '" + na.uri.scheme + "' is not sip, sips or tel");
  };
  if (m.from)
    check_scheme(*m.from, "From");
  if (m.to)
    check_scheme(*m.to, "To");
  for (const auto &c : m.contacts)
    check_scheme(c, "Contact");

  // Contact URIs carrying header fields or stray parameters
  for (const auto &c : m.contacts) {
    if (!c.uri.headers.empty()) {
      std::string hs;
      for (const auto &h : c.uri.headers)
        hs += (hs.empty() ? "" : "&") + h.name + "=" + h.value;
      add(m, "sip.uri-headers", Severity::warning,
          "Contact URI carries header fields (" + hs +
              "): whoever uses this URI will inject them into its requests");
    }
    if (m.is_request && m.method == "REGISTER") {
      if (!c.bracketed)
        for (const auto &p : c.params)
          if (ascii_lower(p.name) != "expires" && ascii_lower(p.name) != "q")
            add(m, "sip.contact-param-outside-brackets", Severity::info,
                "REGISTER Contact parameter '" + p.name +
                    "' is outside <>, so it belongs to the Contact header field and is not "
                    "part of the registered URI");
      for (const auto &p : c.uri.params)
        if (!known_uri_param(p.name))
          add(m, "sip.unknown-uri-param", Severity::info,
              "REGISTER Contact URI has the unknown parameter '" + p.name +
                  "', which the registrar stores and reuses");
    }
  }

  // extensions the receiver must understand
  for (const auto *list : {&m.require, &m.proxy_require}) {
    std::string unknown;
    for (const auto &t : *list)
      if (!known_option_tag(t))
        unknown += (unknown.empty() ? "" : ", ") + t;
    if (!unknown.empty())
      add(m, "sip.unsupported-extension", Severity::warning,
          std::string(list == &m.require ? "Require" : "Proxy-Require") +
              " lists unknown extensions: " + unknown + " (expect 420 Bad Extension)");
  }

  // body type
  if (m.content_type && !m.body.empty() && !known_body_type(*m.content_type))
    add(m, "sip.unknown-body-type", Severity::warning,
        "body of unknown type '" + m.content_type->full() +
            "' (expect 415 Unsupported Media Type)");
  if (!m.content_type && !m.body.empty())
    add(m, "sip.body-without-type", Severity::warning,
        std::to_string(m.body.size()) + " octets of body without a Content-Type");

  // credentials
  for (const auto &cr : m.authorizations)
    if (ascii_lower(cr.scheme) != "digest")
      add(m, "sip.unknown-auth-scheme", Severity::warning,
          "authorization scheme '" + cr.scheme + "' is not Digest");

  // responses aimed at broadcast/multicast addresses (reflection)
  if (!m.is_request)
    for (const auto &v : m.vias) {
      const auto *received = v.param("received");
      const auto *maddr = v.param("maddr");
      for (const std::string *h :
           {&v.host, received ? &received->value : nullptr, maddr ? &maddr->value : nullptr})
        if (h && broadcast_or_multicast(*h))
          add(m, "sip.broadcast-via", Severity::alert,
              "response Via names the broadcast/multicast address " + *h +
                  " (a response sent there is reflected to many hosts)");
    }

  // an offer the answerer cannot answer
  if (m.is_request && m.method == "INVITE" && m.sdp && m.accept) {
    bool ok = m.accept->empty()
                  ? false
                  : std::any_of(m.accept->begin(), m.accept->end(), [](const MediaType &t) {
                      return (t.type == "*" && t.subtype == "*") ||
                             (t.type == "application" && (t.subtype == "*" || t.subtype == "sdp"));
                    });
    if (!ok)
      add(m, "sip.accept-excludes-sdp", Severity::warning,
          "INVITE carries an SDP offer but its Accept does not include application/sdp, so "
          "no SDP answer is acceptable");
  }
}

} // namespace vg::voice
