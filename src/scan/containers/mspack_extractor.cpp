#include "scan/containers/mspack_extractor.hpp"

#include <cstdlib>
#include <cstring>
#include <mspack.h>
#include <string>
#include <vector>

namespace vg {

namespace {

// An mspack_file over memory: the input ("in") is read-only, the output ("out") an append buffer
// that refuses to grow past its cap.
struct MemFile {
  std::span<const std::uint8_t> in;
  std::vector<std::uint8_t> *out = nullptr;
  std::uint64_t cap = 0;
  bool cut = false;
  std::size_t pos = 0;
};

struct MemSystem {
  mspack_system sys; // first member: libmspack passes &sys back to us
  std::span<const std::uint8_t> input;
  std::vector<std::uint8_t> output;
  std::uint64_t cap = 0;
  bool cut = false;
};

mspack_file *mem_open(mspack_system *self, const char *name, int mode) {
  auto *ms = reinterpret_cast<MemSystem *>(self);
  auto *f = new MemFile;
  if (std::strcmp(name, "in") == 0 && mode == MSPACK_SYS_OPEN_READ) {
    f->in = ms->input;
  } else if (std::strcmp(name, "out") == 0 && mode == MSPACK_SYS_OPEN_WRITE) {
    ms->output.clear();
    ms->cut = false;
    f->out = &ms->output;
    f->cap = ms->cap;
  } else {
    delete f;
    return nullptr;
  }
  return reinterpret_cast<mspack_file *>(f);
}

void mem_close(mspack_file *file) {
  auto *f = reinterpret_cast<MemFile *>(file);
  delete f;
}

int mem_read(mspack_file *file, void *buf, int bytes) {
  auto *f = reinterpret_cast<MemFile *>(file);
  if (bytes < 0 || f->out)
    return -1;
  std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(bytes), f->in.size() - f->pos);
  std::memcpy(buf, f->in.data() + f->pos, n);
  f->pos += n;
  return static_cast<int>(n);
}

int mem_write(mspack_file *file, void *buf, int bytes) {
  auto *f = reinterpret_cast<MemFile *>(file);
  if (bytes < 0 || !f->out)
    return -1;
  const auto *b = static_cast<const std::uint8_t *>(buf);
  std::uint64_t room = f->cap - std::min<std::uint64_t>(f->cap, f->out->size());
  if (static_cast<std::uint64_t>(bytes) > room) {
    f->out->insert(f->out->end(), b, b + room);
    return -1; // libmspack stops with MSPACK_ERR_WRITE: the content is longer than the cap
  }
  f->out->insert(f->out->end(), b, b + bytes);
  return bytes;
}

int mem_seek(mspack_file *file, off_t offset, int mode) {
  auto *f = reinterpret_cast<MemFile *>(file);
  std::int64_t size = static_cast<std::int64_t>(f->out ? f->out->size() : f->in.size());
  std::int64_t base = mode == MSPACK_SYS_SEEK_START ? 0
                      : mode == MSPACK_SYS_SEEK_CUR ? static_cast<std::int64_t>(f->pos)
                                                    : size;
  std::int64_t to = base + offset;
  if (to < 0 || to > size)
    return -1;
  f->pos = static_cast<std::size_t>(to);
  return 0;
}

off_t mem_tell(mspack_file *file) {
  return static_cast<off_t>(reinterpret_cast<MemFile *>(file)->pos);
}

void mem_message(mspack_file *, const char *, ...) {}
void *mem_alloc(mspack_system *, size_t bytes) {
  return std::malloc(bytes);
}
void mem_free(void *p) {
  std::free(p);
}
void mem_copy(void *src, void *dst, size_t bytes) {
  std::memmove(dst, src, bytes);
}

MemSystem make_system(std::span<const std::uint8_t> data, std::uint64_t cap) {
  MemSystem ms{};
  ms.sys = mspack_system{mem_open,    mem_close, mem_read, mem_write, mem_seek, mem_tell,
                         mem_message, mem_alloc, mem_free, mem_copy,  nullptr};
  ms.input = data;
  ms.cap = cap;
  return ms;
}

void take_output(MemSystem &ms, ChildObject &c, int err, std::uint64_t declared) {
  c.bytes = std::move(ms.output);
  ms.output = {};
  if (err == MSPACK_ERR_OK)
    return;
  if (err == MSPACK_ERR_WRITE || declared > ms.cap)
    c.cut = true;
  else
    c.unreadable = "libmspack error " + std::to_string(err);
}

void extract_chm(std::span<const std::uint8_t> data, ChildSink &sink) {
  MemSystem ms = make_system(data, sink.size_cap());
  mschm_decompressor *d = mspack_create_chm_decompressor(&ms.sys);
  if (!d)
    throw std::bad_alloc();
  mschmd_header *h = d->open(d, const_cast<char *>("in"));
  if (!h) {
    sink.damaged("CHM file unreadable (libmspack error " + std::to_string(d->last_error(d)) + ")");
    mspack_destroy_chm_decompressor(d);
    return;
  }
  for (mschmd_file *f = h->files; f && sink.keep_going(); f = f->next) {
    ChildObject c;
    c.name = f->filename ? f->filename : "";
    c.method = "chm";
    if (f->length > 0) {
      int err = d->extract(d, f, const_cast<char *>("out"));
      take_output(ms, c, err, static_cast<std::uint64_t>(f->length));
      if (!c.unreadable.empty()) {
        sink.damaged("CHM entry " + c.name + ": " + c.unreadable);
        if (c.bytes.empty())
          continue;
        c.unreadable.clear();
      }
    }
    if (c.bytes.empty())
      continue;
    if (!sink.child(std::move(c)))
      break;
  }
  d->close(d, h);
  mspack_destroy_chm_decompressor(d);
}

void extract_szdd(std::span<const std::uint8_t> data, ChildSink &sink) {
  MemSystem ms = make_system(data, sink.size_cap());
  msszdd_decompressor *d = mspack_create_szdd_decompressor(&ms.sys);
  if (!d)
    throw std::bad_alloc();
  msszddd_header *h = d->open(d, const_cast<char *>("in"));
  if (!h) {
    sink.damaged("SZDD file unreadable (libmspack error " + std::to_string(d->last_error(d)) + ")");
    mspack_destroy_szdd_decompressor(d);
    return;
  }
  ChildObject c;
  c.method = "szdd";
  c.packed_size = data.size();
  int err = d->extract(d, h, const_cast<char *>("out"));
  take_output(ms, c, err, static_cast<std::uint64_t>(h->length));
  d->close(d, h);
  mspack_destroy_szdd_decompressor(d);
  if (!c.unreadable.empty()) {
    sink.damaged("SZDD: " + c.unreadable);
    if (c.bytes.empty())
      return;
    c.unreadable.clear();
  }
  sink.child(std::move(c));
}

} // namespace

void MspackExtractor::extract(std::span<const std::uint8_t> data, ChildSink &sink) const {
  if (format_ == Format::chm)
    extract_chm(data, sink);
  else
    extract_szdd(data, sink);
}

} // namespace vg
