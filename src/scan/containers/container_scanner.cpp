#include "scan/containers/container_scanner.hpp"

#include "scan/containers/archive_entry_metadata.hpp"
#include "scan/containers/extractor_registry.hpp"

#include <chrono>
#include <set>

namespace vg {

namespace {

using Clock = std::chrono::steady_clock;

class Driver {
public:
  Driver(const Engine &engine, const ScanOptions &opts, Engine::Scratch &scratch, FileResult &r,
         std::uint64_t outer_size, const ReleaseFn &release_outer)
      : engine_(engine), opts_(opts), scratch_(scratch), r_(r), release_outer_(release_outer),
        deadline_(Clock::now() + std::chrono::milliseconds(opts.max_scantime_ms)),
        total_(outer_size) {}

  void open(std::span<const std::uint8_t> data, ClamType type, std::vector<ChainLink> &chain,
            std::vector<ClamType> &types, unsigned depth);

  bool stopped() const { return stopped_; }
  // The outermost file's pages may be dropped: what its extractor needs again is read back.
  void release_outer(std::uint64_t size) const {
    if (release_outer_)
      release_outer_(0, static_cast<std::size_t>(size));
  }
  bool time_up() {
    if (opts_.max_scantime_ms && Clock::now() > deadline_) {
      limit("MaxScanTime", {},
            "scan time limit of " + std::to_string(opts_.max_scantime_ms) + " ms reached");
      stopped_ = true;
    }
    return stopped_;
  }

  // Reports a limit; with alert_exceeds_max also a verdict (once per limit name).
  void limit(const std::string &name, const std::vector<ChainLink> &where,
             const std::string &detail) {
    r_.notices.push_back({ScanNotice::Kind::limit, name, where, detail});
    if (opts_.alert_exceeds_max && alerted_.insert(name).second)
      verdict({"Heuristics.Limits.Exceeded." + name, "", "heuristic", {}, where});
  }
  void notice(ScanNotice::Kind k, const std::vector<ChainLink> &where, const std::string &detail) {
    r_.notices.push_back({k, "", where, detail});
  }
  void verdict(FileVerdict v) {
    r_.verdicts.push_back(std::move(v));
    if (!opts_.allmatch)
      stopped_ = true;
  }

  // Counts `n` extracted bytes against max_scansize; false (and the scan stops) past it.
  bool charge(std::uint64_t n, const std::vector<ChainLink> &where) {
    if (total_ + n > opts_.max_scansize) {
      limit("MaxScanSize", where,
            "more than " + std::to_string(opts_.max_scansize) + " bytes extracted from this file");
      stopped_ = true;
      return false;
    }
    total_ += n;
    return true;
  }

  // Matches the .cdb signatures against what the container's headers say about its entries
  // (libclamav's cli_matchmeta(), called by its archive scanners before each entry is scanned):
  // the listed entries from `cursor` on, up to the first one named `upto` (all when nullopt).
  void match_metadata(const ArchiveMetadataListing &listing, std::size_t &cursor,
                      std::optional<std::string_view> upto, ClamType type, std::uint64_t size,
                      std::vector<ChainLink> &chain);
  // The same for the containers whose entries libclamav only knows as it extracts them (mail
  // attachments, cabinet files): the child `c` of a container of `type` and `size` bytes.
  void match_child_metadata(const ChildObject &c, ClamType type, std::uint64_t size,
                            std::vector<ChainLink> &chain);

  // Scans one extracted object and opens it if it is a container. False: stop this container.
  bool object(ChildObject &&c, std::vector<ChainLink> &chain, std::vector<ClamType> &types,
              unsigned depth, const char *family);

private:
  const Engine &engine_;
  const ScanOptions &opts_;
  Engine::Scratch &scratch_;
  FileResult &r_;
  const ReleaseFn &release_outer_;
  Clock::time_point deadline_;
  bool stopped_ = false;
  std::uint64_t total_ = 0;
  std::set<std::string> alerted_;

  void match_entry(ContainerEntryFacts &facts, const ArchiveEntryMetadata &m,
                   std::vector<ChainLink> &chain);
};

class Sink final : public ChildSink {
public:
  Sink(Driver &d, const ScanOptions &opts, std::vector<ChainLink> &chain,
       std::vector<ClamType> &types, unsigned depth, const char *family,
       std::uint64_t container_size, const ArchiveMetadataListing &listing)
      : d_(d), opts_(opts), chain_(chain), types_(types), depth_(depth), family_(family),
        container_size_(container_size), listing_(listing) {}

  // The listed entries not matched yet (at the end of the container).
  void finish_metadata() {
    d_.match_metadata(listing_, cursor_, std::nullopt, types_.back(), container_size_, chain_);
  }

  std::uint64_t size_cap() const override { return opts_.max_filesize; }
  double max_ratio() const override { return opts_.max_ratio; }
  std::uint64_t ratio_floor() const override { return opts_.ratio_floor; }
  bool keep_going() const override { return !d_.stopped() && !full_; }
  unsigned depth_left() const override {
    return opts_.max_recursion > depth_ ? opts_.max_recursion - depth_ : 0;
  }
  void limit_reached(const char *limit, const std::string &detail) override {
    d_.limit(limit, chain_, detail);
  }
  void damaged(const std::string &reason) override {
    d_.notice(ScanNotice::Kind::damaged, chain_, reason);
  }
  bool child(ChildObject &&c) override {
    if (!keep_going() || d_.time_up())
      return false;
    if (++files_ > opts_.max_files) {
      d_.limit("MaxFiles", chain_,
               "more than " + std::to_string(opts_.max_files) + " objects in this container");
      full_ = true;
      return false;
    }
    // An entry's metadata is matched just before its content (when the format has not had all of
    // it matched first), as libclamav does.
    d_.match_metadata(listing_, cursor_, c.name, types_.back(), container_size_, chain_);
    if (d_.stopped())
      return false;
    d_.match_child_metadata(c, types_.back(), container_size_, chain_);
    // Objects of the file itself: what its extractor has read so far leaves memory (a large
    // archive would otherwise become resident as a whole while its entries are taken out).
    if (depth_ == 0)
      d_.release_outer(container_size_);
    return d_.object(std::move(c), chain_, types_, depth_, family_);
  }

private:
  Driver &d_;
  const ScanOptions &opts_;
  std::vector<ChainLink> &chain_;
  std::vector<ClamType> &types_;
  unsigned depth_;
  const char *family_;
  std::uint64_t container_size_;
  const ArchiveMetadataListing &listing_;
  std::size_t cursor_ = 0;
  std::uint64_t files_ = 0;
  bool full_ = false;
};

std::string capitalised(const char *family) {
  std::string s = family;
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z')
    s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

void Driver::open(std::span<const std::uint8_t> data, ClamType type, std::vector<ChainLink> &chain,
                  std::vector<ClamType> &types, unsigned depth) {
  const Extractor *x = extractor_for(type, data);
  if (!x || stopped_)
    return;
  if (depth >= opts_.max_recursion) {
    limit("MaxRecursion", chain,
          "containers nested deeper than " + std::to_string(opts_.max_recursion) + " levels");
    return;
  }
  types.push_back(type);
  ArchiveMetadataListing listing;
  if (!engine_.container_metadata().empty() && has_entry_metadata(type))
    listing = list_entry_metadata(type, data, opts_.max_files);
  Sink sink(*this, opts_, chain, types, depth, x->family(), data.size(), listing);
  if (metadata_before_content(type))
    sink.finish_metadata();
  try {
    x->extract(data, sink);
  } catch (const std::bad_alloc &) {
    notice(ScanNotice::Kind::damaged, chain, std::string(x->family()) + ": out of memory");
  } catch (const std::exception &e) {
    notice(ScanNotice::Kind::damaged, chain, std::string(x->family()) + ": " + e.what());
  }
  sink.finish_metadata();
  types.pop_back();
}

void Driver::match_metadata(const ArchiveMetadataListing &listing, std::size_t &cursor,
                            std::optional<std::string_view> upto, ClamType type, std::uint64_t size,
                            std::vector<ChainLink> &chain) {
  std::size_t end = listing.entries.size();
  if (upto) {
    end = cursor;
    while (end < listing.entries.size() && listing.entries[end].name != *upto)
      ++end;
    if (end == listing.entries.size())
      return; // not listed (a part the headers do not name): nothing to match before it
    ++end;
  }
  ContainerEntryFacts facts;
  facts.container_type = clamav_type_name(type);
  facts.container_size = size;
  for (; cursor < end && !stopped_; ++cursor)
    match_entry(facts, listing.entries[cursor], chain);
}

void Driver::match_child_metadata(const ChildObject &c, ClamType type, std::uint64_t size,
                                  std::vector<ChainLink> &chain) {
  if (engine_.container_metadata().empty())
    return;
  auto m = child_entry_metadata(type, c);
  if (!m)
    return;
  ContainerEntryFacts facts;
  facts.container_type = clamav_type_name(type);
  facts.container_size = size;
  match_entry(facts, *m, chain);
}

void Driver::match_entry(ContainerEntryFacts &facts, const ArchiveEntryMetadata &m,
                         std::vector<ChainLink> &chain) {
  facts.name = m.name ? std::optional<std::string_view>(*m.name) : std::nullopt;
  facts.size_in_container = m.size_in_container;
  facts.size_real = m.size_real;
  facts.encrypted = m.encrypted;
  facts.position = m.position;
  for (const auto &sig : engine_.container_metadata()) {
    if (stopped_)
      return;
    if (!sig.matches(facts))
      continue;
    chain.push_back({m.name.value_or(""), "", "metadata"});
    verdict({sig.name, engine_.databases()[sig.origin.database], "metadata", {}, chain});
    chain.pop_back();
  }
}

bool Driver::object(ChildObject &&c, std::vector<ChainLink> &chain, std::vector<ClamType> &types,
                    unsigned depth, const char *family) {
  chain.push_back({c.name, "", c.method});
  struct Pop {
    std::vector<ChainLink> &c;
    ~Pop() { c.pop_back(); }
  } pop{chain};
  if (c.encrypted) {
    notice(ScanNotice::Kind::encrypted, chain, "encrypted entry not scanned");
    if (opts_.alert_encrypted)
      verdict({"Heuristics.Encrypted." + capitalised(family), "", "heuristic", {}, chain});
    return !stopped_;
  }
  if (!c.unreadable.empty()) {
    notice(ScanNotice::Kind::damaged, chain, c.unreadable);
    if (c.bytes.empty())
      return !stopped_;
  }
  // What was inflated to find out that an object breaks a limit counts as extracted, so that the
  // decompression work spent on a bomb is bounded by max_scansize too.
  if ((c.ratio_exceeded || c.cut) && !charge(c.bytes.size(), chain))
    return false;
  if (c.ratio_exceeded) {
    limit("MaxCompressionRatio", chain,
          "expands more than " + std::to_string(static_cast<long long>(opts_.max_ratio)) +
              " times its compressed size; not scanned");
    return !stopped_;
  }
  if (c.cut) {
    limit("MaxFileSize", chain,
          "larger than " + std::to_string(opts_.max_filesize) + " bytes; not scanned");
    return !stopped_;
  }
  if (!charge(c.bytes.size(), chain))
    return false;
  r_.scanned += c.bytes.size();
  ++r_.objects;
  const ClamType type = detect_clamav_type(c.bytes);
  chain.back().type = clamav_type_name(type);
  ScanOutcome o = engine_.scan(c.bytes, opts_.allmatch, scratch_, ReleaseFn{}, types);
  if (o.allowlisted)
    r_.allowlisted = true;
  for (const auto &d : o.detections)
    verdict({std::string(d.name), engine_.databases()[d.origin.database],
             d.kind == Detection::Kind::hash ? "hash" : "body", d.offset, chain});
  if (stopped_)
    return false;
  open(c.bytes, type, chain, types, depth + 1);
  return !stopped_ && !time_up();
}

} // namespace

void scan_contents(const Engine &engine, const ScanOptions &opts, Engine::Scratch &scratch,
                   std::span<const std::uint8_t> data, FileResult &result,
                   const ReleaseFn &release) {
  Driver d(engine, opts, scratch, result, data.size(), release);
  std::vector<ChainLink> chain;
  std::vector<ClamType> types;
  d.open(data, detect_clamav_type(data), chain, types, 0);
}

std::string chain_text(const std::vector<ChainLink> &chain) {
  std::string s;
  for (const auto &l : chain) {
    if (!s.empty())
      s += " > ";
    s += l.name.empty() ? (l.type.empty() ? l.method : l.type) : l.name;
  }
  return s;
}

} // namespace vg
