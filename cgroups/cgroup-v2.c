/* The v2 backend: one group in the unified hierarchy, its controllers enabled in the cgroup.subtree_control
 * of each group between the caller's and ours (opencontainers/runc:vendor/github.com/opencontainers/
 * cgroups/fs2/create.go CreateCgroupPath; containers/crun:src/libcrun/cgroup-utils.c enable_controllers).
 * Only groups below the caller's own are ours to enable controllers in: the "base" above them (the
 * caller's own group, or the nearest existing ancestor of an absolute path outside it) must have the
 * controllers enabled already, and is never written. */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-internal.h"

/* v1-only settings, refused on v2 by name, as crun refuses them (cgroup-resources.c). */
int cg_v2_refuse_v1_only(Cgroup *cg, const CgroupResources *r) {
        const char *field = r->has_memory_kernel           ? "memory.kernel"
                            : r->has_memory_kernel_tcp     ? "memory.kernelTCP"
                            : r->has_memory_swappiness     ? "memory.swappiness"
                            : r->memory_disable_oom_killer ? "memory.disableOOMKiller"
                            : r->has_cpu_realtime_runtime  ? "cpu.realtimeRuntime"
                            : r->has_cpu_realtime_period   ? "cpu.realtimePeriod"
                            : r->has_blkio_leaf_weight     ? "blockIO.leafWeight"
                            : r->has_network_class_id      ? "network.classID"
                            : r->n_network_priorities      ? "network.priorities"
                                                           : NULL;

        if (field)
                return cg_fail(
                        cg, -EOPNOTSUPP, "%s: cgroup v2 has no such setting (only cgroup v1 does)", field);
        return 0;
}

/* The base: the deepest existing ancestor of the group that is the caller's own group or not below it.
 * Returns the length of its path in cg->unified.path. */
static int find_base(Cgroup *cg, size_t *ret_len) {
        const CgroupHierarchy *hi = &cg->host->unified;
        const char *own = hi->own, *rel = cg->unified.rel, *path = cg->unified.path;
        size_t own_len = strlen(own), mount_len = strlen(hi->mount);

        while (own_len > 0 && own[own_len - 1] == '/')
                own_len--;
        if (strncmp(rel, own, own_len) == 0 && rel[own_len] == '/') {
                /* below the caller's own group: that is the base, in the file system mount + own without
                 * the mount's root */
                size_t root_len = strcmp(hi->root, "/") == 0 ? 0 : strlen(hi->root);

                *ret_len = mount_len + (own_len > root_len ? own_len - root_len : 0);
                return 0;
        }
        /* an absolute path elsewhere: its nearest existing ancestor */
        {
                _cleanup_free_ char *p = strdup(path);
                struct stat st;

                if (!p)
                        return -ENOMEM;
                for (;;) {
                        char *slash = strrchr(p, '/');

                        if (!slash || (size_t) (slash - p) < mount_len)
                                return -ENOENT;
                        *slash = '\0';
                        if (stat(p, &st) >= 0) {
                                *ret_len = strlen(p);
                                return 0;
                        }
                }
        }
}

unsigned cg_v2_read_mask(int dfd, const char *file) {
        _cleanup_free_ char *text = NULL;
        unsigned mask = 0;

        if (cg_read_at(dfd, file, &text) < 0)
                return 0;
        for (char *w = strtok(text, " \n"); w; w = strtok(NULL, " \n")) {
                CgroupController c = cgroup_controller_from_string(w);

                if (c >= 0 && cgroup_controller_to_v2_string(c) &&
                    strcmp(cgroup_controller_to_v2_string(c), w) == 0)
                        mask |= CGROUP_MASK(c);
        }
        return mask;
}

/* The v2 controller each v1-named need maps to; cpuacct, freezer and devices are core on v2. */
static unsigned v2_mask(unsigned m) {
        m &= ~(CGROUP_MASK(CGROUP_CONTROLLER_CPUACCT) | CGROUP_MASK(CGROUP_CONTROLLER_FREEZER) |
               CGROUP_MASK(CGROUP_CONTROLLER_DEVICES));
        return m;
}

static int v2_check(Cgroup *cg, const CgroupResources *res) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int fd = -EBADF;
        unsigned need, have;
        size_t len;
        int r;

        r = cg_v2_refuse_v1_only(cg, res);
        if (r < 0)
                return r;
        r = find_base(cg, &len);
        if (r < 0)
                return cg_fail(cg, r, "no existing ancestor of %s", cg->unified.path);
        base = strndup(cg->unified.path, len);
        if (!base)
                return -ENOMEM;
        fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return cg_fail(cg, -errno, "cgroup2 group %s", base);
        have = cg_v2_read_mask(fd, "cgroup.subtree_control");
        need = v2_mask(cg_resources_needed(res));
        for (size_t i = 0; i < res->n_unified; i++) {
                const char *dot = strchr(res->unified[i].key, '.');
                char name[16];
                CgroupController c;

                if (strncmp(res->unified[i].key, "cgroup.", 7) == 0 || !dot ||
                    (size_t) (dot - res->unified[i].key) >= sizeof(name))
                        continue;
                memcpy(name, res->unified[i].key, (size_t) (dot - res->unified[i].key));
                name[dot - res->unified[i].key] = '\0';
                c = cgroup_controller_from_string(name);
                if (c >= 0 && !(have & CGROUP_MASK(c)))
                        return cg_fail(
                                cg,
                                -EOPNOTSUPP,
                                "unified: key '%.64s': the %s controller is not enabled in %s/cgroup.subtree_control (cgroup2)",
                                res->unified[i].key,
                                name,
                                base);
        }
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if ((need & CGROUP_MASK(c)) && !(have & CGROUP_MASK(c)))
                        return cg_fail(
                                cg,
                                -EOPNOTSUPP,
                                "%s controller: not enabled in %s/cgroup.subtree_control (cgroup2); tether enables controllers only in groups below the caller's own",
                                cgroup_controller_to_v2_string(c),
                                base);
        cg->enabled = have;
        return 0;
}

/* "+memory +pids ..." into the subtree_control of each group from below the base to the group's parent. */
static int enable_down(Cgroup *cg, size_t base_len) {
        _cleanup_free_ char *p = strdup(cg->unified.path);
        char list[128] = "";

        if (!p)
                return -ENOMEM;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->enabled & CGROUP_MASK(c)) {
                        strcat(list, list[0] ? " +" : "+");
                        strcat(list, cgroup_controller_to_v2_string(c));
                }
        if (!list[0])
                return 0;
        for (char *slash = strchr(p + base_len + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                _cleanup_close_ int fd = -EBADF;
                int r;

                *slash = '\0';
                fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = fd < 0 ? -errno : cg_write_at(fd, "cgroup.subtree_control", list);
                if (r < 0)
                        return cg_fail(cg, r, "cgroup.subtree_control in %s (value '%s')", p, list);
                *slash = '/';
        }
        return 0;
}

static int v2_create(Cgroup *cg) {
        size_t base_len;
        int r;

        r = find_base(cg, &base_len);
        if (r < 0)
                return cg_fail(cg, r, "no existing ancestor of %s", cg->unified.path);
        r = cg_dir_create(&cg->unified, cg->host->unified.mount);
        if (r < 0)
                return cg_fail(cg, r, "cgroup2 group %s", cg->unified.path);
        return enable_down(cg, base_len);
}

static int v2_open(Cgroup *cg) {
        int r;

        r = cg_dir_open(&cg->unified);
        if (r < 0)
                return cg_fail(cg, r, "cgroup2 group %s", cg->unified.path);
        cg->enabled = cg_v2_read_mask(cg->unified.fd, "cgroup.controllers");
        return 0;
}

static int v2_attach(Cgroup *cg, pid_t pid) {
        int r;

        r = cg_attach_at(cg->unified.fd, pid);
        if (r < 0)
                return cg_fail(cg, r, "cgroup.procs in %s", cg->unified.path);
        return 0;
}

static int v2_enter(const Cgroup *cg, const char **reterr_path) {
        return cg_enter_at(&cg->unified, "cgroup.procs", reterr_path);
}

static int v2_freeze(Cgroup *cg, bool frozen) {
        return cg_v2_freeze(cg, &cg->unified, frozen);
}

static int v2_kill_all(Cgroup *cg) {
        return cg_v2_kill(cg, &cg->unified);
}

static int v2_remove(Cgroup *cg, bool rollback) {
        int r;

        if (rollback && !cg->unified.created_top)
                return 0;
        r = cg_dir_remove(&cg->unified, rollback);
        if (r < 0)
                return cg_fail(cg, r, "removing %s", cg->unified.path);
        return 0;
}

const CgroupOps cgroup_v2_ops = {
        .name = "cgroupfs-v2",
        .check = v2_check,
        .create = v2_create,
        .open = v2_open,
        .apply = cg_v2_apply,
        .attach = v2_attach,
        .enter = v2_enter,
        .freeze = v2_freeze,
        .kill_all = v2_kill_all,
        .stats = cg_v2_stats,
        .oom_watch_open = cg_v2_oom_watch_open,
        .oom_watch_drain = cg_v2_oom_watch_drain,
        .oom_kill_count = cg_v2_oom_kill_count,
        .remove = v2_remove,
};
