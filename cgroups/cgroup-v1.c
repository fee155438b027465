/* The v1 backend, for legacy and hybrid hosts: a group per controller hierarchy, as
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/fs/fs.go makes them. On hybrid hosts also
 * a group in the cgroup2 mount, as systemd keeps one there: it tracks the processes and gives
 * cgroup.kill; limits stay with the v1 controllers. */

#include <fcntl.h>
#include <string.h>

#include "cgroup-internal.h"

#define CG_WAIT_MS 10000

bool cg_v1_primary(const Cgroup *cg, CgroupController c) {
        const CgroupHost *h = cg->host;

        if (!h->v1[c].mount)
                return false;
        for (CgroupController d = 0; d < c; d++)
                if (h->v1[d].mount && strcmp(h->v1[d].mount, h->v1[c].mount) == 0)
                        return false;
        return true;
}

static int v1_check(Cgroup *cg, const CgroupResources *res) {
        unsigned m = cg_resources_needed(res);
        const char *mode = cgroup_mode_to_string(cg->host->mode);

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if ((m & CGROUP_MASK(c)) && !cg->host->v1[c].mount)
                        return cg_fail(
                                cg,
                                -EOPNOTSUPP,
                                "%s controller: no cgroup v1 hierarchy of it is mounted (host: %s cgroups%s)",
                                cgroup_controller_to_string(c),
                                mode,
                                cg->host->unified.mount ? "; the cgroup2 mount carries no limits here" : "");
        if (res->n_unified > 0)
                return cg_fail(cg,
                               -EOPNOTSUPP,
                               "unified: key '%.64s' needs the cgroup v2 driver (host: %s cgroups)",
                               res->unified[0].key,
                               mode);
        return 0;
}

/* A new cpuset group starts with no cpus and no mems, which no task may join: give each group we made the
 * parent's, top down (containers/crun:src/libcrun/cgroup-setup.c initialize_cpuset_subsystem_rec). A
 * parent that another create made a moment ago may still be empty (its maker has not written it yet: two
 * containers started at once below a new parent), so an ancestor that is empty gets its parent's too,
 * and only then: an empty cpuset group can hold no task, no one else's is changed (runc's
 * cpusetCopyIfNeeded, opencontainers/runc:libcontainer/cgroups/fs/cpuset.go). */
static int cpuset_init(Cgroup *cg, CgroupDir *dir, const char *mount) {
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        _cleanup_free_ char *p = NULL;
        size_t top, len = strlen(dir->path);

        if (!dir->created_top)
                return 0;
        p = strdup(dir->path);
        if (!p)
                return -ENOMEM;
        top = strlen(dir->created_top);
        for (size_t end = strlen(mount) + 1; end <= len; end++) {
                _cleanup_close_ int parent = -EBADF, own = -EBADF;
                bool leaf = end == len, ours = end >= top;
                char *slash;
                int child;

                if (dir->path[end] != '/' && !leaf)
                        continue;
                p[end] = '\0';
                slash = strrchr(p, '/');
                *slash = '\0';
                parent = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                *slash = '/';
                /* The group itself is open already. */
                child = leaf ? dir->fd : (own = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                p[end] = dir->path[end];
                if (parent < 0 || child < 0)
                        return cg_fail(cg, -errno, "cpuset group %s", p);
                for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                        _cleanup_free_ char *v = NULL;
                        int r;

                        if (!ours) {
                                r = cg_read_at(child, files[i], &v);
                                if (r < 0)
                                        return cg_fail(cg, r, "%s of %.*s", files[i], (int) end, dir->path);
                                if (v[strspn(v, " \n")] != '\0')
                                        continue; /* set: not ours to touch */
                                free(TAKE_PTR(v));
                        }
                        r = cg_read_at(parent, files[i], &v);
                        if (r >= 0)
                                r = cg_write_at(child, files[i], v);
                        if (r < 0)
                                return cg_fail(cg, r, "%s of %.*s", files[i], (int) end, dir->path);
                }
        }
        return 0;
}

static int v1_create(Cgroup *cg) {
        int r;

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!cg_v1_primary(cg, c))
                        continue;
                r = cg_dir_create(&cg->v1[c], cg->host->v1[c].mount);
                if (r < 0)
                        return cg_fail(cg, r, "%s group %s", cgroup_controller_to_string(c), cg->v1[c].path);
                if (c == CGROUP_CONTROLLER_CPUSET) {
                        r = cpuset_init(cg, &cg->v1[c], cg->host->v1[c].mount);
                        if (r < 0)
                                return r;
                }
        }
        /* Co-mounted controllers ("cpu,cpuacct") share the group. */
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->host->v1[c].mount && !cg_v1_primary(cg, c)) {
                        r = cg_dir_open(&cg->v1[c]);
                        if (r < 0)
                                return cg_fail(cg,
                                               r,
                                               "%s group %s",
                                               cgroup_controller_to_string(c),
                                               cg->v1[c].path);
                }
        if (cg->host->unified.mount) {
                r = cg_dir_create(&cg->unified, cg->host->unified.mount);
                if (r < 0)
                        return cg_fail(cg, r, "cgroup2 group %s", cg->unified.path);
        }
        return 0;
}

static int v1_open(Cgroup *cg) {
        int r;

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->host->v1[c].mount) {
                        r = cg_dir_open(&cg->v1[c]);
                        if (r < 0)
                                return cg_fail(cg,
                                               r,
                                               "%s group %s",
                                               cgroup_controller_to_string(c),
                                               cg->v1[c].path);
                }
        if (cg->host->unified.mount) {
                r = cg_dir_open(&cg->unified);
                if (r < 0)
                        return cg_fail(cg, r, "cgroup2 group %s", cg->unified.path);
        }
        return 0;
}

static int v1_attach(Cgroup *cg, pid_t pid) {
        int r;

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!cg_v1_primary(cg, c))
                        continue;
                r = cg_attach_at(cg->v1[c].fd, pid);
                if (r < 0)
                        return cg_fail(cg, r, "cgroup.procs in %s", cg->v1[c].path);
        }
        if (cg->unified.fd >= 0) {
                r = cg_attach_at(cg->unified.fd, pid);
                if (r < 0)
                        return cg_fail(cg, r, "cgroup.procs in %s", cg->unified.path);
        }
        return 0;
}

/* "0" to tasks moves the calling thread, the one migration the kernel makes without write-locking
 * cgroup_threadgroup_rwsem (kernel/cgroup/cgroup.c cgroup_procs_write_start(), Linux 6.0 on): that lock's
 * rcu_sync_enter() waits for a whole RCU grace period unless another migration ran within the last one,
 * 4-16 ms measured on this 2-CPU host, where a pid written to cgroup.procs (runc's, crun's and our
 * attach) paid it in most runs. The first process is single-threaded, so the thread is all of it. */
static int v1_enter(const Cgroup *cg, const char **reterr_path) {
        int r;

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!cg_v1_primary(cg, c))
                        continue;
                r = cg_enter_at(&cg->v1[c], "tasks", reterr_path);
                if (r < 0)
                        return r;
        }
        /* cgroup.threads cannot leave the thread's domain: the whole process, and the lock, here. */
        if (cg->unified.fd >= 0)
                return cg_enter_at(&cg->unified, "cgroup.procs", reterr_path);
        return 0;
}

static int v1_freeze(Cgroup *cg, bool frozen) {
        int r;

        if (cg->v1[CGROUP_CONTROLLER_FREEZER].fd >= 0) {
                r = cg_v1_freeze(cg->v1[CGROUP_CONTROLLER_FREEZER].fd, frozen);
                if (r < 0)
                        return cg_fail(cg, r, "freezer.state in %s", cg->v1[CGROUP_CONTROLLER_FREEZER].path);
                return 0;
        }
        if (cg->unified.fd >= 0)
                return cg_v2_freeze(cg, &cg->unified, frozen);
        return cg_fail(
                cg, -EOPNOTSUPP, "freezer controller: no cgroup v1 hierarchy of it is mounted, nor cgroup2");
}

/* The hierarchy to list the processes of: the freezer's, which also stops forks, else any. */
static CgroupController tracking(const Cgroup *cg) {
        if (cg->v1[CGROUP_CONTROLLER_FREEZER].fd >= 0)
                return CGROUP_CONTROLLER_FREEZER;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->v1[c].fd >= 0)
                        return c;
        return _CGROUP_CONTROLLER_INVALID;
}

static int v1_kill_all(Cgroup *cg) {
        CgroupController t = tracking(cg);
        int r;

        if (cg->unified.fd >= 0) {
                /* A task the v1 freezer holds (a paused container) dies only once thawed: thaw it after
                 * cgroup.kill has queued the SIGKILLs, so that none runs a step of its own, then wait. */
                if (cg->v1[CGROUP_CONTROLLER_FREEZER].fd >= 0 &&
                    cg_write_at(cg->unified.fd, "cgroup.kill", "1") >= 0)
                        (void) cg_v1_freeze(cg->v1[CGROUP_CONTROLLER_FREEZER].fd, false);
                r = cg_v2_kill(cg, &cg->unified);
                if (r < 0)
                        return r;
        }
        if (t < 0)
                return cg->unified.fd >= 0 ? 0 : cg_fail(cg, -ENOENT, "no group to kill the processes of");
        return cg_kill_procs(cg,
                             &cg->v1[t],
                             cgroup_controller_to_string(t),
                             t == CGROUP_CONTROLLER_FREEZER ? cg->v1[t].fd : -EBADF);
}

static int v1_remove(Cgroup *cg, bool rollback) {
        int r, ret = 0;

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->host->v1[c].mount && !cg_v1_primary(cg, c))
                        cg->v1[c].fd = safe_close(cg->v1[c].fd);
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!cg_v1_primary(cg, c) || (rollback && !cg->v1[c].created_top))
                        continue;
                r = cg_dir_remove(&cg->v1[c], rollback);
                if (r < 0 && ret >= 0)
                        ret = cg_fail(cg, r, "removing %s", cg->v1[c].path);
        }
        if (cg->host->unified.mount && !(rollback && !cg->unified.created_top)) {
                r = cg_dir_remove(&cg->unified, rollback);
                if (r < 0 && ret >= 0)
                        ret = cg_fail(cg, r, "removing %s", cg->unified.path);
        }
        return ret;
}

const CgroupOps cgroup_v1_ops = {
        .name = "cgroupfs-v1",
        .check = v1_check,
        .create = v1_create,
        .open = v1_open,
        .apply = cg_v1_apply,
        .attach = v1_attach,
        .enter = v1_enter,
        .freeze = v1_freeze,
        .kill_all = v1_kill_all,
        .stats = cg_v1_stats,
        .oom_watch_open = cg_v1_oom_watch_open,
        .oom_watch_drain = cg_v1_oom_watch_drain,
        .oom_kill_count = cg_v1_oom_kill_count,
        .remove = v1_remove,
};
