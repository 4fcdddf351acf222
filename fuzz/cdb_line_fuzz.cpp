// libFuzzer target: the .cdb line parser, its loading, and the metadata match of every line it
// accepts. The input is split at its first newline: the first part is the .cdb line, the rest the
// entry name matched against it (so hostile regexes meet hostile names). A refusal must say why;
// a parsed signature must keep the documented field invariants; loading either succeeds or throws
// vg::Error, never anything else.
#include "common/error.hpp"
#include "signatures/container_metadata_line.hpp"
#include "signatures/database_loader.hpp"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  const auto nl = input.find('\n');
  const std::string_view line = input.substr(0, nl);
  const std::string_view name = nl == std::string_view::npos ? "" : input.substr(nl + 1);
  auto r = vg::parse_cdb_line(line);
  if (const auto *e = std::get_if<vg::LineError>(&r)) {
    if (e->reason.empty())
      std::abort(); // every refusal says why
  } else if (const auto *s = std::get_if<vg::ContainerMetadataSignature>(&r)) {
    if (s->name.empty() || (s->container_type && s->container_type->empty()))
      std::abort();
    vg::ContainerEntryFacts facts;
    facts.container_type =
        s->container_type ? std::string_view(*s->container_type) : std::string_view("CL_TYPE_ZIP");
    facts.container_size = s->container_size.min;
    facts.name = name;
    facts.size_in_container = s->size_in_container.max;
    facts.size_real = s->size_real.min;
    facts.encrypted = s->encrypted.value_or(false);
    facts.position = s->position.max;
    (void)s->matches(facts);
    facts.name.reset();
    facts.size_in_container.reset();
    if (s->name_regex && s->matches(facts))
      std::abort(); // an entry without a name never matches a name regex
  }
  vg::SignatureSet set;
  try {
    vg::load_database_text(set, "fuzz.cdb", input);
  } catch (const vg::Error &) {
  }
  return 0;
}
