#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "pidfd-util.h"
#include "proc-util.h"
#include "reap.h"

/* A process tree deeper than this is not walked further; SIGKILL after the grace period still ends it
 * as its upper levels die and the rest is reparented to us. */
#define DESCENDANT_DEPTH_MAX 64

int reap_exited(Reaper *r) {
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);

                if (pid < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (pid == 0)
                        return 0;
                if (pid == r->main_pid && !r->main_exited) {
                        r->main_exited = true;
                        r->main_status = status;
                        continue;
                }
                r->reaped_orphans++;
                if (r->warn_on_reap)
                        log_warning("reaped zombie process %d", (int) pid);
                else
                        log_trace("reaped zombie process %d", (int) pid);
        }
}

typedef struct PidList {
        pid_t *pids;
        size_t n, allocated;
} PidList;

static int pid_list_append(PidList *l, long pid) {
        if (l->n == l->allocated) {
                size_t want = l->allocated ? l->allocated * 2 : 64;
                pid_t *p = realloc(l->pids, want * sizeof(pid_t));

                if (!p)
                        return -ENOMEM;
                l->pids = p;
                l->allocated = want;
        }
        l->pids[l->n++] = (pid_t) pid;
        return 0;
}

/* Appends the space-separated pids of a children file, streamed: a fork bomb's list exceeds any buffer. */
static int read_children_file(int fd, PidList *l) {
        char buf[4096];
        long cur = -1;
        ssize_t k;
        int r;

        while ((k = read(fd, buf, sizeof(buf))) > 0)
                for (ssize_t i = 0; i < k; i++) {
                        if (buf[i] >= '0' && buf[i] <= '9') {
                                cur = (cur < 0 ? 0 : cur * 10) + (buf[i] - '0');
                                continue;
                        }
                        if (cur >= 0) {
                                r = pid_list_append(l, cur);
                                if (r < 0)
                                        return r;
                        }
                        cur = -1;
                }
        return cur >= 0 ? pid_list_append(l, cur) : 0;
}

/* Reads the children of every thread of parent. */
static int read_children(pid_t parent, PidList *l) {
        char path[64];
        struct dirent *de;
        DIR *tasks;
        int r = 0;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) parent);
        tasks = opendir(path);
        if (!tasks)
                return -errno;
        while (r >= 0 && (de = readdir(tasks))) {
                char file[NAME_MAX + sizeof("/children")];
                _cleanup_close_ int fd = -EBADF;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(file, sizeof(file), "%s/children", de->d_name);
                fd = openat(dirfd(tasks), file, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) /* else the thread is gone */
                        r = read_children_file(fd, l);
        }
        closedir(tasks);
        return r;
}

static int signal_descendants(pid_t parent, int sig, unsigned depth) {
        _cleanup_free_ pid_t *children = NULL;
        PidList l = {};
        int count = 0, r;

        if (depth >= DESCENDANT_DEPTH_MAX)
                return 0;
        r = read_children(parent, &l);
        children = l.pids;
        if (r < 0)
                return r == -ENOENT ? 0 : r;

        for (size_t i = 0; i < l.n; i++) {
                _cleanup_close_ int pidfd = pidfd_open_pid(children[i]);

                /* Between reading the list and pidfd_open() the child may have died, been reaped by its
                 * parent and its pid reused: only a pidfd taken while it is still parent's child is ours. */
                if (pidfd < 0 && pidfd != -ENOSYS)
                        continue;
                if (proc_parent_of(children[i]) != parent)
                        continue;
                /* Children first: a parent that dies first would hand them to us before we saw them. */
                r = signal_descendants(children[i], sig, depth + 1);
                if (r > 0)
                        count += r;
                if (pidfd_kill(pidfd, children[i], sig) >= 0)
                        count++;
        }
        return count;
}

int leftovers_signal(bool whole_namespace, int sig) {
        if (whole_namespace) {
                if (kill(-1, sig) >= 0)
                        return 1;
                return errno == ESRCH ? 0 : -errno;
        }
        return signal_descendants(getpid(), sig, 0);
}

bool leftovers_any(bool whole_namespace, bool have_children) {
        if (have_children)
                return true;
        return whole_namespace && kill(-1, 0) >= 0;
}
