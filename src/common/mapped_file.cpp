#include "common/mapped_file.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vg {

namespace {
std::string errno_text(int err) {
  return std::strerror(err);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};
} // namespace

MappedFile MappedFile::open(const std::string &path, std::size_t read_limit) {
  if (path == "-")
    return from_fd(STDIN_FILENO, "stdin", read_limit);
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (f.fd < 0)
    throw Error(path, errno_text(errno));
  return from_fd(f.fd, path, read_limit);
}

MappedFile MappedFile::from_fd(int fd, const std::string &name, std::size_t read_limit) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw Error(name, errno_text(errno));
  MappedFile m;
  if (S_ISDIR(st.st_mode))
    throw Error(name, "Is a directory");
  if (S_ISREG(st.st_mode)) {
    if (st.st_size == 0)
      return m;
    void *p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
      throw Error(name, "mmap: " + errno_text(errno));
    ::madvise(p, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);
    m.data_ = static_cast<const std::uint8_t *>(p);
    m.size_ = static_cast<std::size_t>(st.st_size);
    m.mapped_ = true;
    return m;
  }
  // Stream: read until EOF or the limit (+1 byte to learn whether it was cut).
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK))
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  std::vector<std::uint8_t> buf;
  std::uint8_t chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw Error(name, errno_text(errno));
    }
    if (n == 0)
      break;
    std::size_t room = read_limit - std::min(read_limit, buf.size());
    if (static_cast<std::size_t>(n) > room) {
      buf.insert(buf.end(), chunk, chunk + room);
      m.truncated_ = true;
      break;
    }
    buf.insert(buf.end(), chunk, chunk + n);
  }
  m.buffer_ = std::move(buf);
  m.data_ = m.buffer_.data();
  m.size_ = m.buffer_.size();
  return m;
}

void MappedFile::release(std::size_t begin, std::size_t end) const noexcept {
  if (!mapped_ || begin >= end || begin >= size_)
    return;
  end = std::min(end, size_);
  release_whole_pages({data_ + begin, end - begin});
}

void release_whole_pages(std::span<const std::uint8_t> bytes) noexcept {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto lo = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t from = (lo + page - 1) / page * page;
  const std::uintptr_t to = (lo + bytes.size()) / page * page;
  if (to > from)
    ::madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
}

MappedFile::MappedFile(MappedFile &&o) noexcept {
  *this = std::move(o);
}

MappedFile &MappedFile::operator=(MappedFile &&o) noexcept {
  if (this != &o) {
    reset();
    buffer_ = std::move(o.buffer_);
    mapped_ = o.mapped_;
    size_ = o.size_;
    truncated_ = o.truncated_;
    data_ = mapped_ ? o.data_ : buffer_.data();
    o.data_ = nullptr;
    o.size_ = 0;
    o.mapped_ = false;
  }
  return *this;
}

MappedFile::~MappedFile() {
  reset();
}

void MappedFile::reset() noexcept {
  if (mapped_ && data_)
    ::munmap(const_cast<std::uint8_t *>(data_), size_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
  buffer_.clear();
}

std::string read_text_file(const std::string &path) {
  MappedFile m = MappedFile::open(path);
  return std::string(reinterpret_cast<const char *>(m.bytes().data()), m.size());
}

} // namespace vg
