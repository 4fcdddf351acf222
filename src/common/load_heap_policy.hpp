// load_heap_policy.hpp — glibc's heap settings while a signature database is loaded.
// Promise: while a LoadHeapPolicy lives, freed small chunks are not kept in fastbins (mallopt
// M_MXFAST 0); its destructor restores glibc's default. The setting is process-wide: other threads
// allocating meanwhile see it too, which changes only their speed. Used around the load by the scan
// command and the guard's executable scan; not nested.
//
// Why: the load frees hundreds of thousands of small chunks (patterns and texts it has compiled or
// shares) between large requests (PCRE2's JIT compiler, the engine's arrays); kept in fastbins,
// they are all consolidated again on the next large request (malloc_consolidate was the largest
// item of the PCRE phase in perf). Without fastbins a small chunk is merged as it is freed. Warm
// full-database load, 8 runs, median: pcre 0.040 -> 0.007 s, grouping 0.056 -> 0.040 s, whole run
// 0.515 -> 0.440 s; peak RSS the same. glibc's default (64 * sizeof(size_t) / 4) comes back for the
// scan, whose small allocations are a thread's own (tcache) and did not get faster without
// fastbins.
#pragma once
#include <malloc.h>

#include <cstddef>

namespace vg {

class LoadHeapPolicy {
public:
  LoadHeapPolicy() { mallopt(M_MXFAST, 0); }
  ~LoadHeapPolicy() { mallopt(M_MXFAST, 64 * sizeof(std::size_t) / 4); }
  LoadHeapPolicy(const LoadHeapPolicy &) = delete;
  LoadHeapPolicy &operator=(const LoadHeapPolicy &) = delete;
};

} // namespace vg
