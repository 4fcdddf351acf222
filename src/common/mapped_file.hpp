// mapped_file.hpp — read-only view of a file's bytes.
// Promise: regular files are mapped with mmap (no copy); pipes, stdin and special files are read
// into memory up to a caller-given limit. An empty file gives an empty view. Failures throw
// vg::Error naming the path and the errno text; nothing here aborts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vg {

class MappedFile {
public:
  // Opens and maps `path` ("-" means standard input). `read_limit` bounds what is read from a
  // stream.
  static MappedFile open(const std::string &path, std::size_t read_limit = SIZE_MAX);
  // Maps an already-open descriptor (not closed by this object).
  static MappedFile from_fd(int fd, const std::string &name, std::size_t read_limit = SIZE_MAX);

  MappedFile() = default;
  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  std::span<const std::uint8_t> bytes() const noexcept { return {data_, size_}; }
  std::size_t size() const noexcept { return size_; }
  // True when the stream was longer than read_limit and was cut.
  bool truncated() const noexcept { return truncated_; }
  // Drops the pages wholly inside [begin, end) from this process's memory (they are read back from
  // the page cache if touched again). Only mapped files release anything; a read-in stream keeps
  // its bytes. Lets a scan of a large file keep its resident memory flat.
  void release(std::size_t begin, std::size_t end) const noexcept;

private:
  void reset() noexcept;
  const std::uint8_t *data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
  bool truncated_ = false;
  std::vector<std::uint8_t> buffer_;
};

// Drops the whole pages inside `bytes` from this process's memory (madvise MADV_DONTNEED); the
// partial pages at either end stay. A private file mapping's pages are read back from the file
// when touched again; anonymous memory reads back as zeros, so only for bytes not read again.
void release_whole_pages(std::span<const std::uint8_t> bytes) noexcept;

// Reads a whole (small) file into a string; throws vg::Error naming the path on failure.
std::string read_text_file(const std::string &path);

} // namespace vg
