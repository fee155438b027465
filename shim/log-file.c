/* The CRI log file (log-file.h). Each entry goes out in one writev(2) of an O_APPEND file: a timestamp
 * and stream header from the stack, the container's bytes where they were read, a newline. A write the
 * disk cuts short is taken back (ftruncate to the size before it), so a reader never sees half an entry
 * glued to the next one. Rotation renames path.N-2 to path.N-1, ..., path to path.1 and opens a new path
 * before an entry that would not fit, as conmon's size rotation does (containers/conmon:src/ctr_logging.c
 * rotate_k8s_log), but keeping more than one old file. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log-file.h"
#include "macro.h"
#include "time-format.h"

#define HEADER_MAX (TIME_FORMAT_MAX + sizeof(" stderr P "))

struct LogFile {
        char *path;
        int fd;
        uint64_t size;
        uint64_t max_size;
        unsigned max_files;
        uint64_t dropped_entries;
        uint64_t dropped_bytes;
        uint64_t announced_entries; /* dropped entries a notice in the log already counts */
        int drop_error; /* the errno of the last drop */
};

static const char *const stream_names[_LOG_STREAM_MAX] = {
        [LOG_STREAM_STDOUT] = "stdout",
        [LOG_STREAM_STDERR] = "stderr",
};

static int open_current(LogFile *f) {
        struct stat st;
        int fd;

        fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        safe_close(f->fd);
        f->fd = fd;
        f->size = (uint64_t) st.st_size;
        return 0;
}

int log_file_open(const char *path, uint64_t max_size, unsigned max_files, LogFile **ret) {
        LogFile *f;
        int r;

        if (!path || path[0] != '/' || (max_size > 0 && max_files == 0))
                return -EINVAL;
        f = calloc(1, sizeof(LogFile));
        if (!f)
                return -ENOMEM;
        *f = (LogFile){.fd = -EBADF, .max_size = max_size, .max_files = max_files ?: 1};
        f->path = strdup(path);
        if (!f->path) {
                free(f);
                return -ENOMEM;
        }
        r = open_current(f);
        if (r < 0) {
                log_file_free(f);
                return r;
        }
        *ret = f;
        return 0;
}

LogFile *log_file_free(LogFile *f) {
        if (!f)
                return NULL;
        safe_close(f->fd);
        free(f->path);
        free(f);
        return NULL;
}

uint64_t log_file_dropped_entries(const LogFile *f) {
        return f->dropped_entries;
}

uint64_t log_file_dropped_bytes(const LogFile *f) {
        return f->dropped_bytes;
}

/* path.N-1 goes, each older file moves up one, path becomes path.1, and a new path opens. With one file
 * kept, path is emptied instead. */
static int rotate(LogFile *f) {
        char from[PATH_MAX], to[PATH_MAX];

        if (f->max_files <= 1) {
                if (ftruncate(f->fd, 0) < 0)
                        return -errno;
                f->size = 0;
                return 0;
        }
        for (unsigned i = f->max_files - 1; i >= 1; i--) {
                if (i == 1)
                        snprintf(from, sizeof(from), "%s", f->path);
                else
                        snprintf(from, sizeof(from), "%s.%u", f->path, i - 1);
                snprintf(to, sizeof(to), "%s.%u", f->path, i);
                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        return open_current(f);
}

/* Writes all of iov, going on after a short write: the next write(2) gives the reason it was short
 * (ENOSPC, EDQUOT, EFBIG), or goes through if room was made meanwhile. */
static int writev_all(int fd, struct iovec *iov, int n) {
        while (n > 0) {
                ssize_t k = RETRY_ON_EINTR(writev(fd, iov, n));

                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                while (n > 0 && (size_t) k >= iov->iov_len) {
                        k -= (ssize_t) iov->iov_len;
                        iov++;
                        n--;
                }
                if (n > 0) {
                        iov->iov_base = (char *) iov->iov_base + k;
                        iov->iov_len -= (size_t) k;
                }
        }
        return 0;
}

/* One entry; on failure the file is as before it and the entry is counted as dropped. */
static int write_entry(LogFile *f, const char *header, size_t header_len, const char *text, size_t n) {
        struct iovec iov[3] = {
                {.iov_base = (void *) header, .iov_len = header_len},
                {.iov_base = (void *) text, .iov_len = n},
                {.iov_base = (void *) "\n", .iov_len = 1},
        };
        size_t len = header_len + n + 1;
        int r = 0;

        if (f->max_size > 0 && f->size > 0 && f->size + len > f->max_size)
                r = rotate(f);
        if (r >= 0)
                r = writev_all(f->fd, iov, 3);
        if (r >= 0) {
                f->size += len;
                return 0;
        }
        (void) ftruncate(f->fd, (off_t) f->size); /* no half entry before the next one */
        f->dropped_entries++;
        f->dropped_bytes += n;
        f->drop_error = -r;
        return r;
}

static int header_for(LogStream stream, const char *ts, char tag, char *buf) {
        return snprintf(buf, HEADER_MAX, "%s %s %c ", ts, stream_names[stream], tag);
}

/* Once writing works again, one stderr entry tells the reader what is missing. */
static void announce_drops(LogFile *f, const char *ts) {
        char header[HEADER_MAX], text[192];
        uint64_t entries = f->dropped_entries - f->announced_entries;
        int n;

        if (entries == 0)
                return;
        n = snprintf(text,
                     sizeof(text),
                     "tether-shim: %" PRIu64 " log entries (%" PRIu64
                     " bytes in all so far) were dropped: %s",
                     entries,
                     f->dropped_bytes,
                     strerror(f->drop_error));
        if (write_entry(
                    f, header, (size_t) header_for(LOG_STREAM_STDERR, ts, 'F', header), text, (size_t) n) <
            0) {
                f->dropped_entries--; /* the notice itself is not the container's */
                f->dropped_bytes -= (uint64_t) n;
                return;
        }
        f->announced_entries += entries;
}

int log_file_write(LogFile *f, LogStream stream, const struct timespec *now, const char *data, size_t n) {
        char ts[TIME_FORMAT_MAX], header[HEADER_MAX];
        int r, ret = 0;

        if (stream < 0 || stream >= _LOG_STREAM_MAX)
                return -EINVAL;
        r = time_format_rfc3339_ns(now, ts, sizeof(ts));
        if (r < 0)
                return r;
        announce_drops(f, ts);
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t len = nl ? (size_t) (nl - data) : n;
                int h = header_for(stream, ts, nl ? 'F' : 'P', header);

                r = write_entry(f, header, (size_t) h, data, len);
                if (r < 0 && ret == 0)
                        ret = r;
                if (!nl)
                        break;
                data = nl + 1;
                n -= len + 1;
        }
        return ret;
}
