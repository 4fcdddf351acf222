#include "engine/engine.hpp"

#include "engine/exe_info.hpp"
#include "engine/pe_version_info.hpp"
#include "engine/section_hash_check.hpp"
#include "engine/text_normalize.hpp"
#include "signatures/offset_spec.hpp"

#include <algorithm>
#include <map>

namespace vg {

namespace {
// Signatures of an executable target type (PE, ELF, Mach-O) whose offset is relative (EOF-n, EP,
// sections, VI): ClamAV computes their offsets from the parsed header and, when it cannot parse the
// header, never matches them — even EOF-n (cli_caloff with target info status -1). Measured with
// clamscan 1.4.6 on PE files with broken headers.
bool needs_target_info(const BodySignature &sig) {
  bool exe_target = sig.target == TargetType::pe || sig.target == TargetType::elf ||
                    sig.target == TargetType::macho;
  return exe_target && sig.offset.base != OffsetSpec::Base::any &&
         sig.offset.base != OffsetSpec::Base::absolute;
}

// Atoms shorter than this are not selective enough for the prefilter; such signatures are searched in
// full (the weak tier).
constexpr std::size_t kMinAtomLength = 3;
} // namespace

std::shared_ptr<const Engine> Engine::build(SignatureSet set) {
  std::shared_ptr<Engine> e(new Engine());
  e->set_ = std::move(set);
  e->set_.finish();
  e->known_ = e->set_.signature_count() + e->set_.allow.size();
  e->bodies_.reserve(e->set_.bodies.size());
  std::array<std::map<std::vector<std::uint8_t>, std::vector<std::uint32_t>>, kTargetTypeCount>
      atoms;
  for (const auto &sig : e->set_.bodies) {
    auto id = static_cast<std::uint32_t>(e->bodies_.size());
    BodyMatcher m(sig.pattern);
    Atom atom = m.choose_atom();
    // Vectorscan's literal API refuses literals that begin with a NUL byte: drop leading NULs and
    // move the atom's distance along with it.
    std::size_t nuls = 0;
    while (nuls < atom.bytes.size() && atom.bytes[nuls] == 0)
      ++nuls;
    if (nuls) {
      atom.bytes.erase(atom.bytes.begin(), atom.bytes.begin() + static_cast<std::ptrdiff_t>(nuls));
      atom.min_distance += static_cast<std::uint32_t>(nuls);
      if (atom.max_distance != Gap::kUnbounded)
        atom.max_distance += static_cast<std::uint32_t>(nuls);
    }
    auto t = static_cast<std::size_t>(sig.target);
    Group &g = e->groups_[t];
    if (sig.offset.needs_exe() || needs_target_info(sig))
      e->needs_exe_[t] = true;
    if (sig.offset.anchored()) {
      g.anchored.push_back(id);
      ++e->stats_.anchored;
    } else if (atom.bytes.size() >= kMinAtomLength) {
      atoms[t][atom.bytes].push_back(id);
      ++e->stats_.prefiltered;
    } else {
      g.weak.push_back(id);
      ++e->stats_.weak;
    }
    e->bodies_.push_back(BodyEntry{std::move(m), std::move(atom), &sig});
  }
  for (std::size_t t = 0; t < kTargetTypeCount; ++t) {
    std::vector<std::vector<std::uint8_t>> literals;
    for (auto &[bytes, ids] : atoms[t]) {
      literals.push_back(bytes);
      e->groups_[t].literal_sigs.push_back(std::move(ids));
    }
    e->groups_[t].prefilter = LiteralPrefilter(literals);
  }
  return e;
}

bool Engine::verify(std::uint32_t entry, std::span<const std::uint8_t> data,
                    const OffsetContext &ctx, std::uint64_t lo, std::uint64_t hi,
                    std::vector<Detection> &out, const ReleaseFn &release) const {
  const BodyEntry &b = bodies_[entry];
  if (!ctx.entry_point && needs_target_info(*b.sig))
    return false; // the executable header did not parse: ClamAV has no offsets for it
  auto range = resolve(b.sig->offset, ctx);
  if (!range)
    return false;
  lo = std::max(lo, range->lo);
  hi = std::min(hi, range->hi);
  if (lo > hi)
    return false;
  if (b.sig->offset.base == OffsetSpec::Base::version_info) {
    for (std::uint64_t start : *ctx.version_info) {
      if (start < lo || start > hi)
        continue;
      if (auto m = b.matcher.match_at(data, static_cast<std::size_t>(start))) {
        out.push_back(Detection{b.sig->name, b.sig->origin, Detection::Kind::body, m->start});
        return true;
      }
    }
    return false;
  }
  // A long range is searched in slices, dropping the pages left behind (a match starting in one
  // slice may run on past it: only starts are bounded by a slice).
  constexpr std::uint64_t kSlice = std::uint64_t{4} << 20, kLookBack = std::uint64_t{1} << 20;
  std::optional<BodyMatch> m;
  if (release && hi - lo > 2 * kSlice) {
    std::uint64_t released = lo;
    for (std::uint64_t from = lo; from <= hi && !m; from += kSlice) {
      std::uint64_t to = std::min(hi, from + kSlice - 1);
      m = b.matcher.find(data, static_cast<std::size_t>(from), static_cast<std::size_t>(to));
      if (from > released + kLookBack) {
        release(static_cast<std::size_t>(released), static_cast<std::size_t>(from - kLookBack));
        released = from - kLookBack;
      }
    }
  } else {
    m = b.matcher.find(data, static_cast<std::size_t>(lo), static_cast<std::size_t>(hi));
  }
  if (!m)
    return false;
  out.push_back(Detection{b.sig->name, b.sig->origin, Detection::Kind::body, m->start});
  return true;
}

void Engine::scan_group(const Group &g, std::span<const std::uint8_t> data,
                        const OffsetContext &ctx, bool allmatch, Scratch &s,
                        std::vector<Detection> &out, const ReleaseFn &release) const {
  auto stop = [&] { return !allmatch && !out.empty(); };
  const std::uint64_t last = data.empty() ? 0 : data.size() - 1;
  for (auto id : g.anchored) {
    if (verify(id, data, ctx, 0, last, out, release) && stop())
      return;
  }
  for (auto id : g.weak) {
    if (verify(id, data, ctx, 0, last, out, release) && stop())
      return;
  }
  if (g.prefilter.empty())
    return;
  // Atom hits: bounded-distance signatures are verified at once around the hit; those whose atom may
  // sit any distance after the start (a * or {n-} before it) are verified once after the scan, over
  // every start that could place the atom at or before its last hit.
  ++s.epoch;
  s.pending.clear();
  const std::uint32_t epoch = s.epoch;
  g.prefilter.scan(data, s.prefilter, [&](std::uint32_t lit, std::size_t pos) {
    for (auto id : g.literal_sigs[lit]) {
      if (s.seen_epoch[id] == epoch + 0x80000000u)
        continue; // already matched in this file
      const Atom &a = bodies_[id].atom;
      if (pos < a.min_distance)
        continue;
      std::uint64_t hi = pos - a.min_distance;
      if (a.max_distance == Gap::kUnbounded) {
        if (s.seen_epoch[id] != epoch) {
          s.seen_epoch[id] = epoch;
          s.hi_hit[id] = hi;
          s.pending.push_back(id);
        } else {
          s.hi_hit[id] = std::max(s.hi_hit[id], hi);
        }
        continue;
      }
      std::uint64_t lo = pos >= a.max_distance ? pos - a.max_distance : 0;
      if (verify(id, data, ctx, lo, hi, out, release)) {
        s.seen_epoch[id] = epoch + 0x80000000u;
        if (stop())
          return false;
      }
    }
    return true;
  }, release);
  if (stop())
    return;
  for (auto id : s.pending) {
    if (s.seen_epoch[id] == epoch + 0x80000000u)
      continue;
    if (verify(id, data, ctx, 0, s.hi_hit[id], out, release) && stop())
      return;
  }
}

void Engine::check_hashes(std::span<const std::uint8_t> data, bool allmatch,
                          std::vector<Detection> &out, const ReleaseFn &release) const {
  const std::uint64_t size = data.size();
  HashMask need = set_.hashes.needs(size);
  if (!need)
    return;
  Digests d = digest_bytes(data, need, release);
  std::vector<HashTable::Hit> hits;
  set_.hashes.lookup(size, d, hits);
  for (const auto &h : hits) {
    out.push_back(Detection{h.name, h.origin, Detection::Kind::hash, std::nullopt});
    if (!allmatch)
      break;
  }
}

ScanOutcome Engine::scan(std::span<const std::uint8_t> data, bool allmatch, Scratch &s,
                         const ReleaseFn &release) const {
  if (s.owner != this) {
    s.prefilter = LiteralPrefilter::Scratch();
    for (const auto &g : groups_)
      s.prefilter.prepare(g.prefilter);
    s.seen_epoch.assign(bodies_.size(), 0);
    s.hi_hit.assign(bodies_.size(), 0);
    s.lo_hit.assign(bodies_.size(), 0);
    s.epoch = 0;
    s.owner = this;
  }
  if (s.epoch > 0x7ffffff0u) {
    std::fill(s.seen_epoch.begin(), s.seen_epoch.end(), 0);
    s.epoch = 0;
  }
  ScanOutcome r;
  const ClamType ctype = detect_clamav_type(data);
  r.kind = kind_of(ctype, data);
  auto done = [&] { return !allmatch && !r.detections.empty(); };

  // The buffers ClamAV scans for a file of this type: the raw bytes and/or normalised text/HTML,
  // each with the target types whose signatures run on it (see text_normalize.hpp).
  unsigned raw_done = 0; // targets already run on the raw bytes
  for (const ScanBuffer &buf : scan_buffers(data, ctype)) {
    std::span<const std::uint8_t> bytes = buf.raw ? data : std::span<const std::uint8_t>(buf.data);
    // Only the file's own bytes can be released; normalised copies live on the heap.
    const ReleaseFn no_release;
    const ReleaseFn &rel = buf.raw ? release : no_release;
    if (buf.hashed) {
      check_hashes(bytes, allmatch, r.detections, rel);
      if (rel)
        rel(0, bytes.size());
    }
    if (done())
      break;
    OffsetContext ctx;
    ctx.file_size = bytes.size();
    ExeInfo exe;
    std::vector<OffsetContext::Section> sections;
    std::vector<std::uint64_t> version_info;
    bool wants_exe = false;
    for (TargetType t : buf.targets)
      wants_exe = wants_exe || needs_exe_[static_cast<std::size_t>(t)];
    if (buf.raw && wants_exe &&
        (r.kind == FileKind::pe || r.kind == FileKind::elf || r.kind == FileKind::macho)) {
      exe = parse_exe_info(data, r.kind);
      ctx.entry_point = exe.entry_point;
      for (const auto &sec : exe.sections)
        sections.push_back({sec.raw_offset, sec.raw_size});
      ctx.sections = &sections;
      if (r.kind == FileKind::pe) {
        version_info = version_info_offsets(data, exe);
        ctx.version_info = &version_info;
      }
    }
    for (TargetType t : buf.targets) {
      // ClamAV scans binary data twice with the generic signatures; the second pass cannot find
      // anything new, so each target runs once on the file's own bytes.
      auto bit = 1u << static_cast<unsigned>(t);
      if (buf.raw && (raw_done & bit))
        continue;
      if (buf.raw)
        raw_done |= bit;
      scan_group(groups_[static_cast<std::size_t>(t)], bytes, ctx, allmatch, s, r.detections, rel);
      if (rel)
        rel(0, bytes.size()); // the next pass starts from the beginning again
      if (done())
        break;
    }
    if (done())
      break;
  }
  // PE section and import-table hashes, which ClamAV checks after the file's raw scan.
  if (!done() && r.kind == FileKind::pe) {
    std::vector<HashTable::Hit> hits;
    check_pe_hashes(data, set_.sections, set_.imports, allmatch, hits, release);
    for (const auto &h : hits)
      r.detections.push_back(Detection{h.name, h.origin, Detection::Kind::hash, std::nullopt});
  }
  // A signature that matches in two buffers (e.g. both HTML normalisations) is one detection.
  if (allmatch && r.detections.size() > 1) {
    std::vector<Detection> unique;
    for (auto &d : r.detections)
      if (std::none_of(unique.begin(), unique.end(),
                       [&](const Detection &u) {
                         return u.name == d.name && u.origin.database == d.origin.database &&
                                u.origin.line == d.origin.line;
                       }))
        unique.push_back(d);
    r.detections = std::move(unique);
  }

  // Allow-lists cancel detections of a file whose whole-file hash they name (ClamAV's .fp/.sfp).
  if (!r.detections.empty() && !set_.allow.empty()) {
    if (HashMask need = set_.allow.needs(data.size())) {
      Digests d = digest_bytes(data, need, release);
      std::vector<HashTable::Hit> hits;
      set_.allow.lookup(data.size(), d, hits);
      if (!hits.empty()) {
        r.detections.clear();
        r.allowlisted = true;
      }
    }
  }
  return r;
}

} // namespace vg
