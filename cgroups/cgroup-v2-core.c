/* The core files every cgroup2 group has, controllers or not: cgroup.freeze, cgroup.kill and
 * cgroup.events. Used by the v2 backend and by the v1 backend's tracking group on hybrid hosts. */

#include <string.h>

#include "cgroup-internal.h"

#define CG_WAIT_MS 10000 /* bounds a failure only */

/* cgroup.freeze, then "frozen 1" in cgroup.events once every task stopped (Linux 5.2;
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/fs2/freezer.go waits the same way). */
int cg_v2_freeze(Cgroup *cg, const CgroupDir *dir, bool frozen) {
        int r;

        r = cg_write_at(dir->fd, "cgroup.freeze", frozen ? "1" : "0");
        if (r == -ENOENT)
                return cg_fail(cg,
                               -EOPNOTSUPP,
                               "cgroup.freeze in %s: the kernel has no cgroup v2 freezer (Linux < 5.2)",
                               dir->path);
        if (r < 0)
                return cg_fail(cg, r, "cgroup.freeze in %s", dir->path);
        r = cg_events_wait(dir->fd, "frozen", frozen ? "1" : "0", CG_WAIT_MS);
        if (r < 0) {
                if (frozen) /* never leave a group half frozen */
                        (void) cg_write_at(dir->fd, "cgroup.freeze", "0");
                return cg_fail(cg, r, "waiting for 'frozen %d' in cgroup.events of %s", frozen, dir->path);
        }
        return 0;
}

/* cgroup.kill (Linux 5.14) kills the whole subtree at once, forks included; then "populated 0". Without
 * it, SIGKILL over cgroup.procs until it is empty (cgroup-kill.c). */
int cg_v2_kill(Cgroup *cg, const CgroupDir *dir) {
        int r;

        r = cg_write_at(dir->fd, "cgroup.kill", "1");
        if (r == -ENOENT)
                return cg_kill_procs(cg, dir, NULL, -EBADF);
        if (r < 0)
                return cg_fail(cg, r, "cgroup.kill in %s", dir->path);
        r = cg_events_wait(dir->fd, "populated", "0", CG_WAIT_MS);
        if (r < 0)
                return cg_fail(cg, r, "waiting for 'populated 0' in cgroup.events of %s", dir->path);
        return 0;
}
