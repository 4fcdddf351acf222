#include "signatures/container_metadata_signature.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <new>
#include <pcre2.h>

namespace vg {

namespace {

// libclamav's defaults for --pcre-match-limit and --pcre-recmatch-limit keep a hostile pattern or
// name from running long.
constexpr std::uint32_t kMatchLimit = 100000;
constexpr std::uint32_t kDepthLimit = 2000;

const pcre2_match_context *match_context() {
  static pcre2_match_context *ctx = [] {
    pcre2_match_context *c = pcre2_match_context_create(nullptr);
    if (c) {
      pcre2_set_match_limit(c, kMatchLimit);
      pcre2_set_depth_limit(c, kDepthLimit);
    }
    return c;
  }();
  return ctx;
}

} // namespace

bool CdbRange::holds(std::uint64_t v) const {
  if (any)
    return true;
  if (min == max)
    return v == min;
  return !((min != 0 && min > v) || (max != 0 && max < v));
}

std::variant<EntryNameRegex, std::string> EntryNameRegex::compile(std::string_view pattern) {
  int err = 0;
  PCRE2_SIZE at = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0,
                                   &err, &at, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return std::string(reinterpret_cast<const char *>(msg)) + " at offset " + std::to_string(at);
  }
  EntryNameRegex r;
  r.pattern_ = std::string(pattern);
  r.code_ = std::shared_ptr<const void>(code, [](const void *p) {
    pcre2_code_free(static_cast<pcre2_code *>(const_cast<void *>(p)));
  });
  return r;
}

bool EntryNameRegex::search(std::string_view name) const {
  const auto *code = static_cast<const pcre2_code *>(code_.get());
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, nullptr);
  if (!md)
    throw std::bad_alloc();
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(name.data()), name.size(), 0, 0, md,
                       const_cast<pcre2_match_context *>(match_context()));
  pcre2_match_data_free(md);
  return rc >= 0; // no match, and a search that hits a limit, are both "no match"
}

bool ContainerMetadataSignature::matches(const ContainerEntryFacts &e) const {
  if (container_type && *container_type != e.container_type)
    return false;
  if (encrypted && *encrypted != e.encrypted)
    return false;
  if (!container_size.holds(e.container_size))
    return false;
  if (!size_in_container.any &&
      (!e.size_in_container || !size_in_container.holds(*e.size_in_container)))
    return false;
  if (!size_real.holds(e.size_real) || !position.holds(e.position))
    return false;
  if (name_regex && (!e.name || !name_regex->search(*e.name)))
    return false;
  return true;
}

} // namespace vg
