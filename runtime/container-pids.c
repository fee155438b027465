#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-pids.h"
#include "macro.h"
#include "pidfd-util.h"
#include "proc-util.h"

static int ns_inode(pid_t pid, ino_t *ret) {
        char path[64];
        struct stat st;

        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) pid);
        if (stat(path, &st) < 0)
                return -errno;
        *ret = st.st_ino;
        return 0;
}

typedef struct ProcEntry {
        pid_t pid, ppid;
        ino_t ns;
} ProcEntry;

static int read_proc(ProcEntry **ret, size_t *ret_n) {
        _cleanup_free_ ProcEntry *l = NULL;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        DIR *d = opendir("/proc");

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                pid_t pid = (pid_t) strtol(de->d_name, NULL, 10);

                if (pid <= 0)
                        continue;
                if (n == allocated) {
                        ProcEntry *g =
                                realloc(l, (allocated = allocated ? allocated * 2 : 256) * sizeof(*l));

                        if (!g) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        l = g;
                }
                l[n].pid = pid;
                l[n].ppid = proc_parent_of(pid);
                if (l[n].ppid < 0 || ns_inode(pid, &l[n].ns) < 0)
                        continue; /* gone meanwhile */
                n++;
        }
        closedir(d);
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

static bool contains(const pid_t *l, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (l[i] == pid)
                        return true;
        return false;
}

int container_pids(const PidRef *init, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ ProcEntry *procs = NULL;
        _cleanup_free_ pid_t *out = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        ino_t init_ns, own_ns;
        size_t n_procs = 0, n = 0;
        bool own_namespace, grew;
        int r;

        r = pidref_open(init, &pidfd);
        if (r < 0)
                return r;
        if (ns_inode(init->pid, &init_ns) < 0 || ns_inode(getpid(), &own_ns) < 0)
                return -ESRCH;
        own_namespace = init_ns != own_ns;
        r = read_proc(&procs, &n_procs);
        if (r < 0)
                return r;
        out = calloc(n_procs + 1, sizeof(pid_t));
        if (!out)
                return -ENOMEM;
        out[n++] = init->pid;

        /* In its own namespace: membership. Otherwise: descendants, to a fixed point (any order). */
        do {
                grew = false;
                for (size_t i = 0; i < n_procs; i++) {
                        bool member =
                                own_namespace ? procs[i].ns == init_ns : contains(out, n, procs[i].ppid);

                        if (member && !contains(out, n, procs[i].pid)) {
                                out[n++] = procs[i].pid;
                                grew = true;
                        }
                }
        } while (grew && !own_namespace);

        *ret = TAKE_PTR(out);
        *ret_n = n;
        return 0;
}

int container_signal_all(const PidRef *init, int sig) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        ino_t init_ns;
        int r, first_error = 0;

        r = container_pids(init, &pids, &n);
        if (r < 0)
                return r;
        if (ns_inode(init->pid, &init_ns) < 0)
                return -ESRCH;
        /* The init last, so that the others are not reparented away from a dying init meanwhile. */
        for (size_t i = n; i-- > 0;) {
                _cleanup_close_ int pidfd = pidfd_open_pid(pids[i]);
                ino_t ns;

                if (pidfd < 0)
                        continue; /* gone */
                /* Pinned by the pidfd now: check it is still one of ours before signalling it. */
                if (ns_inode(pids[i], &ns) < 0 ||
                    (ns != init_ns && !contains(pids, n, proc_parent_of(pids[i]))))
                        continue;
                r = pidfd_kill(pidfd, pids[i], sig);
                if (r < 0 && r != -ESRCH && first_error == 0)
                        first_error = r;
        }
        return first_error;
}
