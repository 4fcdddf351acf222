// Fuzzes the .ldb line parser (expression, target description block, every subsignature kind) and
// the evaluation of what it accepts: a parsed line is compiled into an engine and run over the
// input bytes, so counts, triggers and conditions are exercised on hostile signatures too.
#include "common/error.hpp"
#include "engine/engine.hpp"
#include "signatures/logical_line.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  auto r = vg::parse_ldb_line(text);
  auto *sig = std::get_if<vg::LogicalSignature>(&r);
  if (!sig || size > 4096)
    return 0;
  vg::SignatureSet set;
  set.databases.push_back("fuzz.ldb");
  set.logicals.push_back(std::move(*sig));
  try {
    auto engine = vg::Engine::build(std::move(set));
    vg::Engine::Scratch scratch;
    engine->scan({data, size}, true, scratch);
  } catch (const std::runtime_error &) {
    // Vectorscan may refuse a literal set; that is reported, not a crash.
  }
  return 0;
}
