#pragma once

/* RFC 3339 times in UTC with nanoseconds, for the exit record and the CRI log:
 * "2026-12-05T22:48:13.000000005Z" (Go's time.RFC3339Nano parses it; kubelet and podman read their logs with
 * it). Header-only. */

#include <errno.h>
#include <stdio.h>
#include <time.h>

#define TIME_FORMAT_MAX 32 /* with its NUL, for years of four digits */

static inline int time_format_rfc3339_ns(const struct timespec *ts, char *buf, size_t size) {
        struct tm tm;
        size_t n;

        if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L || !gmtime_r(&ts->tv_sec, &tm))
                return -EINVAL;
        n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        if (n == 0)
                return -ENOBUFS;
        if ((size_t) snprintf(buf + n, size - n, ".%09ldZ", ts->tv_nsec) >= size - n)
                return -ENOBUFS;
        return 0;
}
