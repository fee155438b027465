/* Freezing: v1's freezer.state, and waiting on v2's cgroup.events. */

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>

#include "cgroup-internal.h"

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* v1 has no notification: FREEZING turns FROZEN once every task stopped. Write and read back, thawing
 * now and then so that a group whose tasks keep forking gets a chance, as
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/fs/freezer.go does. A quiet group freezes
 * at the first read; a busy one on a loaded host may take many rounds, so the bound is time (10 s), not
 * a count of rounds, and after the first rounds each waits a millisecond, as runc's do, instead of
 * spinning. The bound only ends a failure. */
int cg_v1_freeze(int dfd, bool frozen) {
        int64_t deadline = now_ms() + 10000;
        int r;

        if (!frozen)
                return cg_write_at(dfd, "freezer.state", "THAWED");
        for (unsigned i = 0;; i++) {
                _cleanup_free_ char *state = NULL;

                if (i % 50 == 49)
                        (void) cg_write_at(dfd, "freezer.state", "THAWED");
                r = cg_write_at(dfd, "freezer.state", "FROZEN");
                if (r < 0)
                        return r;
                r = cg_read_at(dfd, "freezer.state", &state);
                if (r < 0)
                        return r;
                if (strncmp(state, "FROZEN", 6) == 0)
                        return 0;
                if (strncmp(state, "FREEZING", 8) != 0)
                        return -EIO;
                if (now_ms() > deadline)
                        break;
                if (i < 10)
                        sched_yield();
                else
                        (void) nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
        /* never leave a group half frozen */
        (void) cg_write_at(dfd, "freezer.state", "THAWED");
        return -EBUSY;
}

static bool events_has(const char *text, const char *key, const char *value) {
        size_t klen = strlen(key), vlen = strlen(value);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, klen) == 0 && p[klen] == ' ' &&
                    strncmp(p + klen + 1, value, vlen) == 0 &&
                    (p[klen + 1 + vlen] == '\n' || p[klen + 1 + vlen] == '\0'))
                        return true;
        return false;
}

int cg_events_wait(int dfd, const char *key, const char *value, int timeout_ms) {
        _cleanup_close_ int ifd = -EBADF;
        int64_t deadline;
        char path[64];

        /* cgroup.events is "modified" on every change (Documentation/admin-guide/cgroup-v2.rst): watch it
         * first, then read, so that no change falls between the two. */
        ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ifd < 0)
                return -errno;
        snprintf(path, sizeof(path), "/proc/self/fd/%d/cgroup.events", dfd);
        if (inotify_add_watch(ifd, path, IN_MODIFY) < 0)
                return -errno;
        deadline = now_ms() + timeout_ms;
        for (;;) {
                _cleanup_free_ char *text = NULL;
                struct pollfd pfd = {.fd = ifd, .events = POLLIN};
                char buf[4096];
                int64_t now;
                int r;

                r = cg_read_at(dfd, "cgroup.events", &text);
                if (r < 0)
                        return r;
                if (events_has(text, key, value))
                        return 0;
                now = now_ms();
                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&pfd, 1, (int) (deadline - now));
                if (r < 0 && errno != EINTR)
                        return -errno;
                while (read(ifd, buf, sizeof(buf)) > 0)
                        ;
        }
}
