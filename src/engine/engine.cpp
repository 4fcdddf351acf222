#include "engine/engine.hpp"

#include "engine/exe_info.hpp"
#include "signatures/offset_spec.hpp"

#include <algorithm>
#include <map>

namespace vg {

namespace {
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
    if (sig.offset.needs_exe())
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
                    std::vector<Detection> &out) const {
  const BodyEntry &b = bodies_[entry];
  auto range = resolve(b.sig->offset, ctx);
  if (!range)
    return false;
  lo = std::max(lo, range->lo);
  hi = std::min(hi, range->hi);
  if (lo > hi)
    return false;
  auto m = b.matcher.find(data, static_cast<std::size_t>(lo), static_cast<std::size_t>(hi));
  if (!m)
    return false;
  out.push_back(Detection{b.sig->name, b.sig->origin, Detection::Kind::body, m->start});
  return true;
}

void Engine::scan_group(const Group &g, std::span<const std::uint8_t> data,
                        const OffsetContext &ctx, bool allmatch, Scratch &s,
                        std::vector<Detection> &out) const {
  auto stop = [&] { return !allmatch && !out.empty(); };
  const std::uint64_t last = data.empty() ? 0 : data.size() - 1;
  for (auto id : g.anchored) {
    if (verify(id, data, ctx, 0, last, out) && stop())
      return;
  }
  for (auto id : g.weak) {
    if (verify(id, data, ctx, 0, last, out) && stop())
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
      if (verify(id, data, ctx, lo, hi, out)) {
        s.seen_epoch[id] = epoch + 0x80000000u;
        if (stop())
          return false;
      }
    }
    return true;
  });
  if (stop())
    return;
  for (auto id : s.pending) {
    if (s.seen_epoch[id] == epoch + 0x80000000u)
      continue;
    if (verify(id, data, ctx, 0, s.hi_hit[id], out) && stop())
      return;
  }
}

ScanOutcome Engine::scan(std::span<const std::uint8_t> data, bool allmatch,
                         Scratch &s) const {
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
  r.kind = detect_file_type(data);
  const std::uint64_t size = data.size();

  // Whole-file hashes, only for sizes some signature names.
  if (HashMask need = set_.hashes.needs(size)) {
    Digests d = digest_bytes(data, need);
    std::vector<HashTable::Hit> hits;
    set_.hashes.lookup(size, d, hits);
    for (const auto &h : hits) {
      r.detections.push_back(Detection{h.name, h.origin, Detection::Kind::hash, std::nullopt});
      if (!allmatch)
        break;
    }
  }

  if (allmatch || r.detections.empty()) {
    TargetType own = target_type_for(r.kind);
    ExeInfo exe;
    std::vector<OffsetContext::Section> sections;
    OffsetContext ctx;
    ctx.file_size = size;
    if (needs_exe_[0] || needs_exe_[static_cast<std::size_t>(own)]) {
      if (r.kind == FileKind::pe || r.kind == FileKind::elf || r.kind == FileKind::macho) {
        exe = parse_exe_info(data, r.kind);
        ctx.entry_point = exe.entry_point;
        for (const auto &sec : exe.sections)
          sections.push_back({sec.raw_offset, sec.raw_size});
        ctx.sections = &sections;
      }
    }
    scan_group(groups_[0], data, ctx, allmatch, s, r.detections);
    if (own != TargetType::any && (allmatch || r.detections.empty()))
      scan_group(groups_[static_cast<std::size_t>(own)], data, ctx, allmatch, s, r.detections);
  }

  // Allow-lists cancel detections of a file whose whole-file hash they name (ClamAV's .fp/.sfp).
  if (!r.detections.empty() && !set_.allow.empty()) {
    if (HashMask need = set_.allow.needs(size)) {
      Digests d = digest_bytes(data, need);
      std::vector<HashTable::Hit> hits;
      set_.allow.lookup(size, d, hits);
      if (!hits.empty()) {
        r.detections.clear();
        r.allowlisted = true;
      }
    }
  }
  return r;
}

} // namespace vg
