#include "engine/pcre_matcher.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <mutex>

namespace vg {

struct PcreMatcher::Code {
  pcre2_code *re = nullptr;
  pcre2_match_context *mctx = nullptr;
  // A copy with JIT code for partial matching, made when a long search first needs it (see
  // skip_ahead): compiling it into `re` would change code that other threads may be running.
  std::once_flag partial_once;
  pcre2_code *partial = nullptr;
  ~Code() {
    pcre2_code_free(partial);
    pcre2_match_context_free(mctx);
    pcre2_code_free(re);
  }
};

namespace {

std::uint32_t compile_options(const PcreFlags &f) {
  std::uint32_t o = 0;
  o |= f.caseless ? PCRE2_CASELESS : 0u;
  o |= f.dotall ? PCRE2_DOTALL : 0u;
  o |= f.multiline ? PCRE2_MULTILINE : 0u;
  o |= f.extended ? PCRE2_EXTENDED : 0u;
  o |= f.anchored ? PCRE2_ANCHORED : 0u;
  o |= f.dollar_endonly ? PCRE2_DOLLAR_ENDONLY : 0u;
  o |= f.ungreedy ? PCRE2_UNGREEDY : 0u;
  return o;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof buf) < 0)
    return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char *>(buf);
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data *m) const { pcre2_match_data_free(m); }
};

} // namespace

PcreMatcher::PcreMatcher() = default;
PcreMatcher::PcreMatcher(PcreMatcher &&) noexcept = default;
PcreMatcher &PcreMatcher::operator=(PcreMatcher &&) noexcept = default;
PcreMatcher::~PcreMatcher() = default;

PcreCompileResult PcreMatcher::compile(const PcreSubsignature &sig, const PcreLimits &limits) {
  PcreCompileResult result;
  PcreMatcher m;
  m.sig_ = sig;
  m.code_ = std::make_unique<Code>();
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  m.code_->re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(sig.regex.data()), sig.regex.size(),
                              compile_options(sig.flags), &err, &err_offset, nullptr);
  if (!m.code_->re) {
    result.error = "regex /" + sig.regex + "/ does not compile at offset " +
                   std::to_string(err_offset) + ": " + pcre2_message(err);
    return result;
  }
  m.code_->mctx = pcre2_match_context_create(nullptr);
  if (!m.code_->mctx) {
    result.error = "regex /" + sig.regex + "/: no memory for a PCRE2 match context";
    return result;
  }
  pcre2_set_match_limit(m.code_->mctx, limits.match_limit);
  pcre2_set_depth_limit(m.code_->mctx, limits.depth_limit);
  if (limits.use_jit)
    m.jit_ = pcre2_jit_compile(m.code_->re, PCRE2_JIT_COMPLETE) == 0;
  result.matcher.emplace(std::move(m));
  return result;
}

std::optional<PcreWindow> PcreMatcher::window_for(const OffsetSpec &spec,
                                                  const OffsetContext &ctx) {
  // ClamAV's PCRE matcher handles VI like `*` (matcher-pcre.c: "TODO - handle VI").
  if (spec.base == OffsetSpec::Base::any || spec.base == OffsetSpec::Base::version_info)
    return PcreWindow::everywhere();
  auto range = resolve(spec, ctx);
  if (!range) {
    // ClamAV computes EOF-n and EP-n in 32-bit unsigned arithmetic: one byte before the start of
    // the file wraps to 0xffffffff, its "any offset" marker, and the regex then runs everywhere
    // (observed with clamscan 1.4.6: EOF-(size+1) and EP-(ep+1) match anywhere, -(size+2) not).
    std::optional<std::int64_t> base;
    if (spec.base == OffsetSpec::Base::eof_minus)
      base = static_cast<std::int64_t>(ctx.file_size) + spec.delta;
    else if (spec.base == OffsetSpec::Base::entry_point && ctx.entry_point)
      base = static_cast<std::int64_t>(*ctx.entry_point) + spec.delta;
    if (base == -1)
      return PcreWindow::everywhere();
    return std::nullopt;
  }
  // resolve() clips hi to the last byte; ClamAV's window is start + maxshift (SEx: the section's
  // raw size), which matters to `e` at the end of the file.
  std::uint64_t shift = spec.max_shift;
  if (spec.base == OffsetSpec::Base::section_entire)
    shift = (*ctx.sections)[spec.section].raw_size;
  return PcreWindow::at(range->lo, shift);
}

PcreScanOutcome PcreMatcher::scan(std::span<const std::uint8_t> data, const OffsetContext &ctx,
                                  const OnMatch &on_match, const ReleaseFn &release) const {
  auto window = window_for(sig_.offset, ctx);
  if (!window)
    return PcreScanOutcome::completed;
  return scan(data, *window, on_match, release);
}

const pcre2_code *PcreMatcher::partial_code() const {
  std::call_once(code_->partial_once, [this] {
    pcre2_code *copy = pcre2_code_copy(code_->re);
    if (copy && pcre2_jit_compile(copy, PCRE2_JIT_PARTIAL_HARD) != 0) {
      pcre2_code_free(copy);
      copy = nullptr;
    }
    code_->partial = copy;
  });
  return code_->partial;
}

// matcher-pcre.c cli_pcre_scanbuf, one regex.
PcreScanOutcome PcreMatcher::scan(std::span<const std::uint8_t> data, const PcreWindow &window,
                                  const OnMatch &on_match, const ReleaseFn &release) const {
  const std::uint64_t base = window.anywhere ? 0 : window.lo;
  const std::uint64_t shift = window.anywhere ? 0 : window.hi - window.lo;
  if (base >= data.size())
    return PcreScanOutcome::completed; // the start lies outside the data: ClamAV skips the regex
  std::uint64_t length = data.size() - base;
  if (sig_.flags.encompass && shift != 0)
    length = std::min<std::uint64_t>(length, shift);
  const std::uint32_t options =
      (!window.anywhere && !sig_.flags.rolling && shift == 0) ? PCRE2_ANCHORED : 0;
  const auto *subject = reinterpret_cast<PCRE2_SPTR>(data.data() + base);

  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
      pcre2_match_data_create_from_pattern(code_->re, nullptr));
  if (!md)
    return PcreScanOutcome::error;

  // JIT finds candidates; anything but "no match" is settled by the interpreter, whose limits are
  // the ones clamscan applies (JIT does not enforce the depth limit).
  auto run = [&](std::uint64_t from) {
    if (jit_) {
      int rc = pcre2_match(code_->re, subject, length, from, options, md.get(), code_->mctx);
      if (rc == PCRE2_ERROR_NOMATCH)
        return rc;
    }
    return pcre2_match(code_->re, subject, length, from, options | PCRE2_NO_JIT, md.get(),
                       code_->mctx);
  };

  // A long unanchored search that may drop the pages behind it first moves on in windows: JIT
  // code with PCRE2_PARTIAL_HARD on the subject cut at the window's end says "no match" only when
  // no match starts in the window and no attempt reached its end, so no match can start there in
  // the whole subject either; anything else (a match, a partial match, a limit) leaves the search
  // to `run` from the window's start. The pages behind the window are released as it goes.
  constexpr std::uint64_t kWindow = std::uint64_t{1} << 20, kLookBack = std::uint64_t{64} << 10;
  // \G holds at the start offset, which a window moves: a regex that may contain it (or an escaped
  // backslash before a G: the test is conservative) is searched whole.
  const bool windowed = release && jit_ && !(options & PCRE2_ANCHORED) && !sig_.flags.anchored &&
                        length > 2 * kWindow && sig_.regex.find("\\G") == std::string::npos;
  std::uint64_t released = 0; // relative to base
  auto skip_ahead = [&](std::uint64_t from) {
    const pcre2_code *partial = windowed ? partial_code() : nullptr;
    if (!partial)
      return from;
    while (length - from > 2 * kWindow) {
      if (from > released + kLookBack) {
        release(static_cast<std::size_t>(base + released),
                static_cast<std::size_t>(base + from - kLookBack));
        released = from - kLookBack;
      }
      const std::uint64_t end = from + kWindow;
      int rc = pcre2_match(partial, subject, end, from, options | PCRE2_PARTIAL_HARD, md.get(),
                           code_->mctx);
      if (rc != PCRE2_ERROR_NOMATCH)
        return from;
      from = end;
    }
    return from;
  };

  std::uint64_t from = 0;
  for (;;) {
    from = skip_ahead(from);
    int rc = run(from);
    if (rc == PCRE2_ERROR_NOMATCH)
      return PcreScanOutcome::completed;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
      return PcreScanOutcome::limit_hit;
    if (rc < 0)
      return PcreScanOutcome::error;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md.get());
    const std::uint64_t start = ov[0], end = ov[1];
    if (!sig_.flags.encompass && shift != 0 && start > shift)
      return PcreScanOutcome::completed; // starts past offset + maxshift: ClamAV stops here
    if (!on_match(base + start))
      return PcreScanOutcome::stopped;
    if (!sig_.flags.global)
      return PcreScanOutcome::completed;
    // ClamAV resumes at the end of the match; after an empty match that would find the same
    // empty match again (reported twice, or forever), so move on by one byte past its start.
    from = end > start ? end : start + 1;
    if (from >= length)
      return PcreScanOutcome::completed;
  }
}

} // namespace vg
