#pragma once

/* /proc helpers, header-only (the static tether-init uses them). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "macro.h"

/* The parent of pid from /proc/PID/stat, or -errno (-ENOENT once it is gone). */
static inline pid_t proc_parent_of(pid_t pid) {
        char path[64], buf[512], *p;
        _cleanup_close_ int fd = -EBADF;
        long ppid = 0;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        buf[n] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces and parentheses, so look from the last ')'. */
        p = strrchr(buf, ')');
        if (!p || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
                return -EIO;
        for (p += 4; *p >= '0' && *p <= '9'; p++) /* no sscanf: it doubles the static tether-init's size */
                ppid = ppid * 10 + (*p - '0');
        return *p == ' ' ? (pid_t) ppid : -EIO;
}
