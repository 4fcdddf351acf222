#include "guard/executable_digests.hpp"

#include "common/hex.hpp"

#include <fcntl.h>
#include <memory>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vg::guard {

std::optional<std::string> ExecutableDigests::of_fd(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return std::nullopt;
  Key key{st.st_dev,          st.st_ino,         st.st_size,        st.st_mtim.tv_sec,
          st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end())
      return it->second;
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX *)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return std::nullopt;
  static thread_local std::unique_ptr<char[]> buf(new char[1 << 20]);
  off_t off = 0;
  while (true) {
    ssize_t n = pread(fd, buf.get(), 1 << 20, off);
    if (n < 0)
      return std::nullopt;
    if (n == 0)
      break;
    EVP_DigestUpdate(ctx.get(), buf.get(), static_cast<std::size_t>(n));
    off += n;
  }
  unsigned char md[32];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex = vg::hex_encode(std::span<const std::uint8_t>(md, len));
  std::lock_guard lock(mu_);
  if (cache_.size() > 4096)
    cache_.clear();
  cache_[key] = hex;
  return hex;
}

std::optional<std::string> ExecutableDigests::of_path(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  auto d = of_fd(fd);
  close(fd);
  return d;
}

} // namespace vg::guard
