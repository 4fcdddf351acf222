/* guard_overhead_open_close.c — the guard benchmarks' loop (bench/guard_overhead.sh,
 * bench/guard_overhead_qemu.sh): N x open+close of FILE read-only, or with "pwrite" N x a one-byte
 * pwrite on one descriptor (the per-write permission hook); prints nanoseconds per iteration. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE N [pwrite]\n", argv[0]);
    return 2;
  }
  long n = atol(argv[2]);
  int writes = argc > 3 && strcmp(argv[3], "pwrite") == 0;
  if (n <= 0) {
    fprintf(stderr, "%s: N must be a positive number, got '%s'\n", argv[0], argv[2]);
    return 2;
  }
  int wfd = writes ? open(argv[1], O_WRONLY) : -1;
  if (writes && wfd < 0) {
    perror(argv[1]);
    return 1;
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    if (writes) {
      if (pwrite(wfd, "x", 1, 0) != 1) {
        perror("pwrite");
        return 1;
      }
      continue;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
      perror(argv[1]);
      return 1;
    }
    close(fd);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
