#pragma once

/* RFC 3339 times in UTC with nanoseconds, for the exit record and the CRI log:
 * "2026-12-05T22:48:13.000000005Z" (Go's time.RFC3339Nano parses it; kubelet and podman read their logs with
 * it). Header-only.
 *
 * Not gmtime_r and strftime: glibc's gmtime_r loads the time zone (reads /etc/localtime) on its first call,
 * and the two bring about 20 kB of code into tether-shim's resident text for what is arithmetic. The date
 * is Howard Hinnant's civil_from_days (http://howardhinnant.github.io/date_algorithms.html), proleptic
 * Gregorian, as gmtime_r's; the unit test compares the two. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define TIME_FORMAT_MAX 32 /* with its NUL, for years of four digits */

static inline int time_format_rfc3339_ns(const struct timespec *ts, char *buf, size_t size) {
        int64_t days, secs, era, doe, yoe, doy, mp, year;
        unsigned month, day;

        /* Years 0000 to 9999: RFC 3339 has four digits. */
        if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L || ts->tv_sec < -62167219200LL ||
            ts->tv_sec > 253402300799LL)
                return -EINVAL;
        days = ts->tv_sec / 86400;
        secs = ts->tv_sec % 86400;
        if (secs < 0) {
                secs += 86400;
                days--;
        }
        days += 719468; /* from 1970-01-01 to 0000-03-01 */
        era = (days >= 0 ? days : days - 146096) / 146097;
        doe = days - era * 146097; /* [0, 146096] */
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
        mp = (5 * doy + 2) / 153; /* [0, 11], from March */
        day = (unsigned) (doy - (153 * mp + 2) / 5 + 1);
        month = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
        year = yoe + era * 400 + (month <= 2);
        if ((size_t) snprintf(buf,
                              size,
                              "%04d-%02u-%02uT%02d:%02d:%02d.%09ldZ",
                              (int) year,
                              month,
                              day,
                              (int) (secs / 3600),
                              (int) (secs / 60 % 60),
                              (int) (secs % 60),
                              ts->tv_nsec) >= size)
                return -ENOBUFS;
        return 0;
}
