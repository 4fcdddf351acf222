// mail_extractor.hpp — e-mail through gmime-3.0: a single message (.eml) or an mbox of messages.
// Promise: walks the MIME tree of every message to any depth the sink allows (each multipart level
// counts as one level of nesting; deeper ones are reported as MaxRecursion, never followed) and
// yields every leaf part decoded (base64, quoted-printable, uuencode as gmime decodes them), plus
// the uuencoded and BinHex blocks found inside text parts; a message/rfc822 part is yielded whole,
// as a mail of its own, so the driver's recursion limit applies to it.
#pragma once
#include "scan/containers/extractor.hpp"

namespace vg {

class MailExtractor final : public Extractor {
public:
  const char *family() const override { return "mail"; }
  void extract(std::span<const std::uint8_t> data, ChildSink &sink) const override;
};

} // namespace vg
