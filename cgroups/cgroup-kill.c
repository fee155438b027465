/* Killing everything in a group without cgroup.kill: SIGKILL over cgroup.procs until it is empty, each
 * process held by a pidfd from before the check that it is ours to the signal (a pid read from the file
 * may be reaped and reused meanwhile; the pidfd of a reaped process only gets ESRCH). Forks racing the
 * kill show up in the next round; on v1 the freezer, where we have one, stops them altogether
 * (opencontainers/runc:libcontainer/init_linux.go signalAllProcesses freezes around the signals too). */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup-internal.h"
#include "pidfd-util.h"

#define KILL_ROUNDS 100
#define KILL_WAIT_MS 10000 /* bounds a failure: SIGKILLed processes in D state */

typedef struct PidfdSet {
        struct pollfd *fds;
        size_t n;
        size_t allocated;
} PidfdSet;

static void pidfd_set_done(PidfdSet *s) {
        for (size_t i = 0; i < s->n; i++)
                safe_close(s->fds[i].fd);
        free(s->fds);
        *s = (PidfdSet){};
}

static int pidfd_set_add(PidfdSet *s, int fd) {
        if (s->n == s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 16;
                struct pollfd *p = realloc(s->fds, a * sizeof(*p));

                if (!p)
                        return -ENOMEM;
                s->fds = p;
                s->allocated = a;
        }
        s->fds[s->n++] = (struct pollfd){.fd = fd, .events = POLLIN};
        return 0;
}

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until every pidfd polls readable: its process has exited. */
static int pidfd_set_wait(PidfdSet *s) {
        int64_t deadline = now_ms() + KILL_WAIT_MS;
        size_t left = s->n;

        while (left > 0) {
                int64_t t = deadline - now_ms();
                int n;

                if (t <= 0)
                        return -ETIMEDOUT;
                n = poll(s->fds, s->n, (int) t);
                if (n < 0 && errno != EINTR)
                        return -errno;
                for (size_t i = 0; n > 0 && i < s->n; i++)
                        if (s->fds[i].fd >= 0 && s->fds[i].revents) {
                                s->fds[i].fd = safe_close(s->fds[i].fd);
                                left--;
                        }
        }
        return 0;
}

/* Opens a pidfd for pid if it is (still) in the group, and SIGKILLs it. 0 if it is gone or not ours. */
static int kill_one(pid_t pid, const char *controller, const char *rel, PidfdSet *s) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *content = NULL;
        char path[64];
        int r;

        fd = pidfd_open_pid(pid);
        if (fd == -ESRCH)
                return 0;
        if (fd < 0)
                return fd;
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        r = cg_read_at(AT_FDCWD, path, &content);
        if (r == -ENOENT || r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        if (!cg_proc_cgroup_in(content, controller, rel))
                return 0;
        r = pidfd_kill(fd, pid, SIGKILL);
        if (r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        return pidfd_set_add(s, TAKE_FD(fd));
}

static int kill_round(const CgroupDir *dir, const char *controller, PidfdSet *s) {
        _cleanup_free_ char *procs = NULL;
        int r;

        r = cg_read_at(dir->fd, "cgroup.procs", &procs);
        if (r < 0)
                return r;
        for (char *p = procs; *p;) {
                char *end;
                long pid = strtol(p, &end, 10);

                if (end == p || pid <= 0)
                        return -EIO;
                r = kill_one((pid_t) pid, controller, dir->rel, s);
                if (r < 0)
                        return r;
                p = end + (*end == '\n');
        }
        return 0;
}

int cg_kill_procs(Cgroup *cg, const CgroupDir *dir, const char *controller, int freeze_fd) {
        int r;

        for (unsigned round = 0; round < KILL_ROUNDS; round++) {
                PidfdSet s = {};
                size_t n;
                bool frozen = false;

                r = cg_procs_count(dir->fd, &n);
                if (r < 0)
                        return cg_fail(cg, r, "cgroup.procs in %s", dir->path);
                if (n == 0)
                        return 0;
                /* A frozen group forks no more while we read and signal; SIGKILL takes effect at the thaw.
                 */
                if (freeze_fd >= 0)
                        frozen = cg_v1_freeze(freeze_fd, true) >= 0;
                r = kill_round(dir, controller, &s);
                if (frozen)
                        (void) cg_v1_freeze(freeze_fd, false);
                if (r >= 0)
                        r = pidfd_set_wait(&s);
                pidfd_set_done(&s);
                if (r < 0)
                        return cg_fail(cg, r, "killing the processes of %s", dir->path);
        }
        return cg_fail(
                cg, -EBUSY, "%s still has processes after %d rounds of SIGKILL", dir->path, KILL_ROUNDS);
}
