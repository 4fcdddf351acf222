// extractor.hpp — the interface every container family implements.
// Promise: an Extractor reads one container held in memory and hands each object inside it to the
// ChildSink, one at a time, in the container's order, without writing anything to disk. It never
// reads outside the buffer, stops as soon as the sink asks it to, reads no child beyond the sink's
// size cap, and reports damage (truncation, bad headers) through the sink instead of throwing.
#pragma once
#include "scan/containers/child_object.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace vg {

class ChildSink {
public:
  virtual ~ChildSink() = default;
  // A child's content is read up to this many bytes; a longer one is handed over `cut`.
  virtual std::uint64_t size_cap() const = 0;
  // Largest output/input ratio allowed once a child passes `ratio_floor()` bytes (0: no limit).
  virtual double max_ratio() const = 0;
  virtual std::uint64_t ratio_floor() const = 0;
  // True while extraction may go on (no limit of the scan has stopped it, the time is not up).
  virtual bool keep_going() const = 0;
  // Takes one child; returns false when the extractor must stop.
  virtual bool child(ChildObject &&c) = 0;
  // Levels of nesting an extractor may still open inside this container by itself (mail
  // multiparts).
  virtual unsigned depth_left() const = 0;
  // A limit stopped part of the extraction (ClamAV's names: "MaxRecursion", "MaxFiles", ...).
  virtual void limit_reached(const char *limit, const std::string &detail) = 0;
  // The container is damaged or partly unreadable (reported, the scan goes on).
  virtual void damaged(const std::string &reason) = 0;

  // True when `out` bytes produced from `in` bytes of input break the ratio limit.
  bool ratio_broken(std::uint64_t out, std::uint64_t in) const {
    double r = max_ratio();
    return r > 0 && out > ratio_floor() &&
           static_cast<double>(out) > r * static_cast<double>(in == 0 ? 1 : in);
  }
};

class Extractor {
public:
  virtual ~Extractor() = default;
  virtual const char *family() const = 0; // "archive", "mail", "ole2", "pdf", ...
  virtual void extract(std::span<const std::uint8_t> data, ChildSink &sink) const = 0;
};

} // namespace vg
