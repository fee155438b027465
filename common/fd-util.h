#pragma once

/* fd helpers, header-only and async-signal-safe, for the time between clone() and execve(). */

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Closes every fd from `from` up, but those in keep (n_keep of them, any order, negative ones ignored).
 * Closed, not marked close-on-exec: a container's process may chdir() or open through
 * /proc/self/fd/N long before it execs, and any host directory still open there is a way out of its
 * root (CVE-2024-21626, opencontainers/runc:libcontainer/init_linux.go closes them at once too).
 * Returns 0 or -errno. */
static inline int close_all_fds_except(int from, const int *keep, size_t n_keep) {
        int lo = from;

        for (;;) {
                int next = -1; /* the smallest kept fd >= lo */

                for (size_t i = 0; i < n_keep; i++)
                        if (keep[i] >= lo && (next < 0 || keep[i] < next))
                                next = keep[i];
                if (next < 0)
                        break;
                if (next > lo && syscall(SYS_close_range, (unsigned) lo, (unsigned) next - 1, 0) < 0)
                        goto fallback;
                lo = next + 1;
        }
        if (syscall(SYS_close_range, (unsigned) lo, ~0U, 0) < 0)
                goto fallback;
        return 0;

fallback : { /* close_range() is Linux 5.9: close one by one up to the fd limit */
        struct rlimit rl;
        int max;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        max = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20 ? 1 << 20 : (int) rl.rlim_cur;
        for (int fd = from; fd < max; fd++) {
                bool kept = false;

                for (size_t i = 0; i < n_keep; i++)
                        kept = kept || keep[i] == fd;
                if (!kept)
                        (void) close(fd);
        }
        return 0;
}
}

/* The first fd from 3 up that is not open: the caller passed us 3..N-1 (--preserve-fds may only
 * pass those on, never one of ours). Call it before opening anything. */
static inline int first_unused_fd(void) {
        int fd = 3;

        while (fcntl(fd, F_GETFD) >= 0)
                fd++;
        return fd;
}

/* Opens /dev/null on whichever of 0, 1 and 2 our starter left closed, so that no pipe or socket of ours
 * gets one of those numbers and becomes a child's stdio by accident. Call it first in main(). */
static inline int stdio_ensure_open(void) {
        /* In order: the ones below are open by then, so open() returns fd itself. Inherited on purpose. */
        for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
                        return -errno;
        return 0;
}
