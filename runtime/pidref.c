#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "pidfd-util.h"
#include "pidref.h"

/* Reads /proc/PID/stat and returns the state letter and start time. */
static int read_stat(pid_t pid, char *ret_state, uint64_t *ret_start_time) {
        char path[64], buf[1024], *p;
        _cleanup_close_ int fd = -EBADF;
        unsigned long long start = 0;
        ssize_t n;
        int field;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return errno == ESRCH ? -ESRCH : -errno;
        buf[n] = '\0';

        /* "pid (comm) S ppid ...": comm may contain spaces and ')', so count fields from the last ')'. */
        p = strrchr(buf, ')');
        if (!p || p[1] != ' ')
                return -EIO;
        p += 2;
        *ret_state = *p;
        for (field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EIO;
                p++;
        }
        if (sscanf(p, "%llu", &start) != 1)
                return -EIO;
        *ret_start_time = start;
        return 0;
}

int pidref_read_start_time(pid_t pid, uint64_t *ret) {
        char state;

        return read_stat(pid, &state, ret);
}

int pidref_open(const PidRef *ref, int *ret_pidfd) {
        _cleanup_close_ int pidfd = -EBADF;
        uint64_t start;
        char state;
        int r;

        if (ref->pid <= 0)
                return -ESRCH;
        pidfd = pidfd_open_pid(ref->pid);
        if (pidfd < 0 && pidfd != -ENOSYS)
                return pidfd;
        /* Checked after the pidfd exists: from now on ref->pid cannot be reused under us. */
        r = read_stat(ref->pid, &state, &start);
        if (r < 0)
                return r;
        if (start != ref->start_time || state == 'Z' || state == 'X')
                return -ESRCH;
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}

int pidref_kill(const PidRef *ref, int sig) {
        _cleanup_close_ int pidfd = -EBADF;
        int r;

        r = pidref_open(ref, &pidfd);
        if (r < 0)
                return r;
        return pidfd_kill(pidfd, ref->pid, sig);
}

int pidref_wait_exit(const PidRef *ref, int timeout_ms) {
        _cleanup_close_ int pidfd = -EBADF;
        struct pollfd p;
        int r;

        r = pidref_open(ref, &pidfd);
        if (r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        if (pidfd < 0)
                return -EOPNOTSUPP;
        /* A pidfd becomes readable when the process exits, whoever its parent is. */
        p = (struct pollfd){.fd = pidfd, .events = POLLIN};
        r = RETRY_ON_EINTR(poll(&p, 1, timeout_ms));
        if (r < 0)
                return -errno;
        return r == 0 ? -ETIMEDOUT : 0;
}
