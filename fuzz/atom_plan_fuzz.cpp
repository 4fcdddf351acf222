// Fuzzes the atom plan reader: the input read as a plan for the entry ids its own records name (so
// that the field checks are reached), where an accepted plan must write back to the same bytes;
// and, for some inputs, the input stored as the compiled cache's plan entry of a small fixed
// signature set, whose engine is then built and run: whatever the plan says, the build either
// uses it or rejects it, and the scan answers.
#include "common/error.hpp"
#include "engine/atom_plan.hpp"
#include "engine/compiled_cache.hpp"
#include "engine/engine.hpp"
#include "signatures/database_loader.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

const vg::CacheKey kSetKey = [] {
  vg::CacheKey k{};
  k.fill(0x3c);
  return k;
}();

std::shared_ptr<const vg::CompiledCache> fuzz_cache() {
  static std::shared_ptr<const vg::CompiledCache> cache = [] {
    char tmpl[] = "/tmp/vg-atom-plan-fuzz-XXXXXX";
    std::filesystem::path dir = ::mkdtemp(tmpl);
    return std::make_shared<const vg::CompiledCache>(dir / "c", vg::CompiledCache::kDefaultMaxBytes,
                                                     [](const std::string &) {});
  }();
  return cache;
}

vg::SignatureSet small_set() {
  vg::SignatureSet set;
  vg::load_database_text(set, "f.ndb",
                         "Body.A:0:*:7365637265742d6b6579\n"
                         "Body.B:0:*:4d5a??0090{2-8}50450000\n"
                         "Body.C:0:0:4d5a\n"
                         "Body.D:0:*:7878(61|41)(62|42)7979*7a7a7a\n",
                         true);
  vg::load_database_text(set, "f.ldb",
                         "L.A;Target:0;0&1;6162636465;7677787980::i\n"
                         "L.B;Target:0;0|1;6162636465;00000000ff\n"
                         "L.C;Target:0;0;717273747576::wa\n",
                         true);
  return set;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  // The entry ids the input's own records name, for as many whole records as it holds.
  std::vector<std::uint32_t> ids;
  for (std::size_t at = 16; at + 36 <= size; at += 36)
    ids.push_back(std::uint32_t{data[at]} | std::uint32_t{data[at + 1]} << 8 |
                  std::uint32_t{data[at + 2]} << 16 | std::uint32_t{data[at + 3]} << 24);
  try {
    auto plan = vg::read_atom_plan(bytes, ids, "fuzz.plan");
    auto back = vg::write_atom_plan(plan);
    if (!std::equal(back.begin(), back.end(), bytes.begin(), bytes.end()))
      std::abort();
  } catch (const vg::Error &) {
  }
  if (size == 0 || data[0] != 'V')
    return 0;
  // The input as the plan entry of the small set: a well-formed cache file around it.
  auto cache = fuzz_cache();
  vg::set_compiled_cache(cache);
  const auto key = vg::atom_plan_key(kSetKey);
  {
    auto file = vg::make_cache_file(key, bytes);
    std::ofstream out(cache->path_for(key), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(file.data()),
              static_cast<std::streamsize>(file.size()));
  }
  auto engine =
      vg::Engine::build(small_set(), vg::EngineOptions{.timing = false, .set_key = kSetKey});
  vg::Engine::Scratch scratch;
  static constexpr char kFirst[] =
      "\x7f\x01secret-key MZ\x90\x00\x00\x90\x00PE\x00\x00 abcde vwxy\x80 xxAbyy..zzz";
  static constexpr char kSecond[] = "abcdeVWXY\x80 q\0r\0s\0t\0u\0v\0 qrstuv";
  static const std::string samples[] = {std::string(kFirst, sizeof kFirst - 1),
                                        std::string(kSecond, sizeof kSecond - 1)};
  for (const auto &s : samples)
    engine->scan({reinterpret_cast<const std::uint8_t *>(s.data()), s.size()}, true, scratch);
  engine->scan(bytes, true, scratch);
  vg::set_compiled_cache(nullptr);
  return 0;
}
