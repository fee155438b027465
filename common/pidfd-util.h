#pragma once

/* pidfd wrappers, header-only (the static tether-init uses them). The syscall numbers are the same on
 * every architecture since Linux 5.1's unified table; libc headers may predate them. */

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Returns a pidfd or -errno (-ENOSYS before Linux 5.3). */
static inline int pidfd_open_pid(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);

        return fd < 0 ? -errno : fd;
}

/* Signals the process behind pidfd; without a pidfd (fd < 0) or before Linux 5.1 falls back to kill(),
 * which the caller may only use while it knows pid has not been reaped and reused
 * (containers/crun:src/libcrun/linux.c libcrun_kill_linux does the same). Returns 0 or -errno. */
static inline int pidfd_kill(int pidfd, pid_t pid, int sig) {
        if (pidfd >= 0) {
                if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) >= 0)
                        return 0;
                if (errno != ENOSYS)
                        return -errno;
        }
        return kill(pid, sig) < 0 ? -errno : 0;
}
