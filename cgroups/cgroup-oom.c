/* An OOM-kill watch as one fd that polls readable, for the shim's event loop. v1: an eventfd registered
 * on memory.oom_control through cgroup.event_control (Documentation/admin-guide/cgroup-v1/memory.rst
 * "OOM Control"; containerd's and runc's v1 notifiers do the same); v2: inotify on memory.events, which
 * the kernel marks modified on each change of its counters, oom_kill among them. */

#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include "cgroup-internal.h"

int cg_v1_oom_watch_open(Cgroup *cg) {
        const CgroupDir *dir = &cg->v1[CGROUP_CONTROLLER_MEMORY];
        _cleanup_close_ int efd = -EBADF, ofd = -EBADF;
        char buf[64];
        int r;

        if (dir->fd < 0)
                return cg_fail(cg,
                               -EOPNOTSUPP,
                               "memory controller: no cgroup v1 group of it to watch for OOM kills");
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
                return cg_fail(cg, -errno, "eventfd");
        ofd = openat(dir->fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
        if (ofd < 0)
                return cg_fail(cg, -errno, "memory.oom_control in %s", dir->path);
        /* The kernel keeps its own references: ofd may go once registered. */
        snprintf(buf, sizeof(buf), "%d %d", efd, ofd);
        r = cg_write_at(dir->fd, "cgroup.event_control", buf);
        if (r < 0)
                return cg_fail(cg, r, "cgroup.event_control in %s", dir->path);
        return TAKE_FD(efd);
}

int cg_v1_oom_watch_drain(Cgroup *cg, int fd) {
        uint64_t n;

        if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                return -errno;
        return 0;
}

static int oom_kill_from(Cgroup *cg, const CgroupDir *dir, const char *file, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        uint64_t v;
        int r;

        r = cg_read_at(dir->fd, file, &text);
        if (r < 0)
                return cg_fail(cg, r, "%s in %s", file, dir->path);
        /* oom_kill appeared in Linux 4.13; before, there is no count to give */
        r = cg_keyed_u64(text, "oom_kill", &v);
        if (r < 0)
                return cg_fail(cg, r == -ENOENT ? -EOPNOTSUPP : r, "oom_kill in %s of %s", file, dir->path);
        *ret = v;
        return 0;
}

int cg_v1_oom_kill_count(Cgroup *cg, uint64_t *ret) {
        if (cg->v1[CGROUP_CONTROLLER_MEMORY].fd < 0)
                return cg_fail(cg, -EOPNOTSUPP, "memory controller: no cgroup v1 group of it");
        return oom_kill_from(cg, &cg->v1[CGROUP_CONTROLLER_MEMORY], "memory.oom_control", ret);
}

int cg_v2_oom_watch_open(Cgroup *cg) {
        _cleanup_close_ int ifd = -EBADF;
        char path[64];

        if (!(cg->enabled & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY)))
                return cg_fail(cg,
                               -EOPNOTSUPP,
                               "memory controller: not enabled for %s, no memory.events to watch",
                               cg->unified.path);
        ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ifd < 0)
                return cg_fail(cg, -errno, "inotify");
        snprintf(path, sizeof(path), "/proc/self/fd/%d/memory.events", cg->unified.fd);
        if (inotify_add_watch(ifd, path, IN_MODIFY) < 0)
                return cg_fail(cg, -errno, "memory.events in %s", cg->unified.path);
        return TAKE_FD(ifd);
}

int cg_v2_oom_watch_drain(Cgroup *cg, int fd) {
        char buf[4096];

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
        return errno == EAGAIN ? 0 : -errno;
}

int cg_v2_oom_kill_count(Cgroup *cg, uint64_t *ret) {
        return oom_kill_from(cg, &cg->unified, "memory.events", ret);
}
