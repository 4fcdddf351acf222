// Fuzzes the whole scan path (file typing, executable headers, prefilter, verification) with a
// fixed database whose signatures use every offset form, over arbitrary file contents.
#include "engine/engine.hpp"
#include "signatures/database_loader.hpp"

#include <cstdint>

static const vg::Engine &engine() {
  static std::shared_ptr<const vg::Engine> e = [] {
    vg::SignatureSet set;
    vg::load_database_text(set, "fuzz.ndb",
                           "A:0:*:4d5a{-20}5045\n"
                           "B:1:EP+0,8:(58|59)e8ff????????c3\n"
                           "C:1:S0+0:2e74657874\n"
                           "D:1:SE1:c3c2*9090\n"
                           "E:6:EP-4,16:7f454c46??\n"
                           "F:0:EOF-8,8:0000(B)4142\n"
                           "G:0:*:61[1-3]6263!(64|65)\n"
                           "H:9:SL+0:cafe??babe\n"
                           "I:0:10,100:(L)2f2a{2-}2a2f(W)\n");
    vg::load_database_text(set, "fuzz.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar\n");
    return vg::Engine::build(std::move(set));
  }();
  return *e;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static vg::Engine::Scratch scratch;
  engine().scan({data, size}, true, scratch);
  return 0;
}
