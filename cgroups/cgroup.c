/* The library's front: a Cgroup's paths from the host and linux.cgroupsPath, the choice of backend, and
 * the public calls, each a thin dispatch through the ops table that fills reterr_what. */

#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"

static int dir_init(CgroupDir *dir, const CgroupHierarchy *hi, const char *spec, const char *name) {
        const char *below;
        int r;

        r = cgroup_path_resolve(hi->own, spec, name, &dir->rel);
        if (r < 0)
                return r;
        /* The file system shows the hierarchy from the mount's root down. */
        below = dir->rel;
        if (strcmp(hi->root, "/") != 0) {
                size_t n = strlen(hi->root);

                if (strncmp(dir->rel, hi->root, n) != 0 || (dir->rel[n] != '/' && dir->rel[n] != '\0'))
                        return -EXDEV; /* an absolute path outside what the mount shows */
                below += n;
        }
        if (asprintf(&dir->path, "%s%s", hi->mount, below) < 0) {
                dir->path = NULL;
                return -ENOMEM;
        }
        return 0;
}

Cgroup *cgroup_alloc(const CgroupHost *host, const CgroupOps *ops) {
        Cgroup *cg = calloc(1, sizeof(Cgroup));

        if (!cg)
                return NULL;
        cg->host = host;
        cg->ops = ops;
        cg->unified.fd = -EBADF;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                cg->v1[c].fd = -EBADF;
        return cg;
}

int cgroup_new(const CgroupHost *host, const char *path_spec, const char *name, Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        int r;

        cg = cgroup_alloc(host, host->mode == CGROUP_MODE_UNIFIED ? &cgroup_v2_ops : &cgroup_v1_ops);
        if (!cg)
                return -ENOMEM;
        if (host->unified.mount) {
                r = dir_init(&cg->unified, &host->unified, path_spec, name);
                if (r < 0)
                        return r;
        }
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (host->v1[c].mount) {
                        r = dir_init(&cg->v1[c], &host->v1[c], path_spec, name);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(cg);
        return 0;
}

int cgroup_new_at(const CgroupHost *host,
                  const char *const groups[_CGROUP_CONTROLLER_MAX],
                  const char *unified_group,
                  Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        int r;

        cg = cgroup_alloc(host, host->mode == CGROUP_MODE_UNIFIED ? &cgroup_v2_ops : &cgroup_v1_ops);
        if (!cg)
                return -ENOMEM;
        /* An absolute path resolves to itself, checked as at create: no "..", never the caller's own group
         * nor one of its ancestors. */
        if (host->unified.mount) {
                if (!unified_group || unified_group[0] != '/')
                        return -EINVAL;
                r = dir_init(&cg->unified, &host->unified, unified_group, NULL);
                if (r < 0)
                        return r;
        }
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (host->v1[c].mount) {
                        if (!groups[c] || groups[c][0] != '/')
                                return -EINVAL;
                        r = dir_init(&cg->v1[c], &host->v1[c], groups[c], NULL);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(cg);
        return 0;
}

Cgroup *cgroup_free(Cgroup *cg) {
        if (!cg)
                return NULL;
        if (cg->ops && cg->ops->done)
                cg->ops->done(cg);
        cg_dir_done(&cg->unified);
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                cg_dir_done(&cg->v1[c]);
        free(cg);
        return NULL;
}

int cgroup_open_pid(const CgroupHost *host, pid_t pid, Cgroup **ret, const char **reterr_what) {
        _cleanup_(cgroup_host_freep) CgroupHost *seen = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        const char *groups[_CGROUP_CONTROLLER_MAX] = {};
        int r;

        r = cgroup_host_detect_pid(pid, &seen);
        if (r < 0)
                return r;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                groups[c] = host->v1[c].mount ? seen->v1[c].own : NULL;
        r = cgroup_new_at(host, groups, host->unified.mount ? seen->unified.own : NULL, &cg);
        if (r < 0)
                return r;
        r = cgroup_open(cg, reterr_what);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(cg);
        return 0;
}

const char *cgroup_get_path(const Cgroup *cg) {
        if (cg->unified.path)
                return cg->unified.path;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->v1[c].path)
                        return cg->v1[c].path;
        return NULL;
}

const char *cgroup_get_driver(const Cgroup *cg) {
        return cg->ops->name;
}

const char *cgroup_get_group(const Cgroup *cg, CgroupController c) {
        if (c == _CGROUP_CONTROLLER_INVALID)
                return cg->unified.rel;
        return c >= 0 && c < _CGROUP_CONTROLLER_MAX ? cg->v1[c].rel : NULL;
}

static int done(Cgroup *cg, int r, const char **reterr_what) {
        if (r < 0 && reterr_what)
                *reterr_what = cg->what;
        return r;
}

static const CgroupResources no_resources = {};

int cgroup_create(Cgroup *cg, const CgroupResources *res, const char **reterr_what) {
        char saved[sizeof(cg->what)];
        const char *what;
        int r;

        if (!res)
                res = &no_resources;
        /* Everything that can be refused without the host is, before anything exists. */
        r = cgroup_resources_check(res, cg->what, sizeof(cg->what), &what);
        if (r < 0)
                return done(cg, r, reterr_what);
        r = cg->ops->check(cg, res);
        if (r < 0)
                return done(cg, r, reterr_what);
        r = cg->ops->create(cg);
        if (r >= 0)
                r = cg->ops->apply(cg, res);
        if (r < 0) {
                memcpy(saved, cg->what, sizeof(saved));
                (void) cg->ops->remove(cg, /* rollback= */ true);
                memcpy(cg->what, saved, sizeof(saved));
        }
        return done(cg, r, reterr_what);
}

int cgroup_create_pid(Cgroup *cg, const CgroupResources *res, pid_t pid, const char **reterr_what) {
        const char *what;
        int r;

        if (!res)
                res = &no_resources;
        if (pid <= 0)
                return done(cg, cg_fail(cg, -EINVAL, "pid %d", (int) pid), reterr_what);
        if (!cg->ops->create_pid) {
                r = cgroup_create(cg, res, reterr_what);
                if (r < 0)
                        return r;
                r = cg->ops->attach(cg, pid);
                if (r < 0) {
                        char saved[sizeof(cg->what)];

                        memcpy(saved, cg->what, sizeof(saved));
                        (void) cg->ops->remove(cg, /* rollback= */ true);
                        memcpy(cg->what, saved, sizeof(saved));
                }
                return done(cg, r, reterr_what);
        }
        r = cgroup_resources_check(res, cg->what, sizeof(cg->what), &what);
        if (r >= 0)
                r = cg->ops->check(cg, res);
        if (r >= 0)
                r = cg->ops->create_pid(cg, res, pid);
        return done(cg, r, reterr_what);
}

int cgroup_open(Cgroup *cg, const char **reterr_what) {
        return done(cg, cg->ops->open(cg), reterr_what);
}

int cgroup_update(Cgroup *cg, const CgroupResources *res, const char **reterr_what) {
        const char *what;
        int r;

        r = cgroup_resources_check(res, cg->what, sizeof(cg->what), &what);
        if (r >= 0)
                r = cg->ops->check(cg, res);
        if (r >= 0)
                r = cg->ops->apply(cg, res);
        return done(cg, r, reterr_what);
}

int cgroup_attach(Cgroup *cg, pid_t pid, const char **reterr_what) {
        if (pid <= 0)
                return done(cg, cg_fail(cg, -EINVAL, "pid %d", (int) pid), reterr_what);
        return done(cg, cg->ops->attach(cg, pid), reterr_what);
}

int cgroup_enter(const Cgroup *cg, const char **reterr_path) {
        return cg->ops->enter ? cg->ops->enter(cg, reterr_path) : -EOPNOTSUPP;
}

int cgroup_freeze(Cgroup *cg, bool frozen, const char **reterr_what) {
        return done(cg, cg->ops->freeze(cg, frozen), reterr_what);
}

int cgroup_kill_all(Cgroup *cg, const char **reterr_what) {
        return done(cg, cg->ops->kill_all(cg), reterr_what);
}

int cgroup_get_stats(Cgroup *cg, CgroupStats *ret, const char **reterr_what) {
        CgroupStats st = {};
        int r;

        st.memory.limit = st.pids.limit = UINT64_MAX;
        r = cg->ops->stats(cg, &st);
        if (r < 0)
                return done(cg, r, reterr_what);
        *ret = st;
        return 0;
}

static int parse_pids(const char *text, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0, allocated = 0;

        for (const char *p = text; *p;) {
                char *end;
                long v = strtol(p, &end, 10);

                if (end == p || v <= 0 || (*end != '\n' && *end != '\0'))
                        return -EBADMSG;
                if (n == allocated) {
                        pid_t *grown =
                                realloc(pids, (allocated = allocated ? allocated * 2 : 16) * sizeof(pid_t));

                        if (!grown)
                                return -ENOMEM;
                        pids = grown;
                }
                pids[n++] = (pid_t) v;
                p = *end ? end + 1 : end;
        }
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

int cgroup_get_pids(Cgroup *cg, pid_t **ret, size_t *ret_n, const char **reterr_what) {
        const CgroupDir *dir = cg->unified.fd >= 0 ? &cg->unified : NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        for (CgroupController c = 0; !dir && c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->v1[c].fd >= 0)
                        dir = &cg->v1[c];
        if (!dir)
                return done(cg, cg_fail(cg, -EBADF, "no group open to list the processes of"), reterr_what);
        r = cg_read_at(dir->fd, "cgroup.procs", &text);
        if (r >= 0)
                r = parse_pids(text, ret, ret_n);
        if (r < 0)
                return done(cg, cg_fail(cg, r, "cgroup.procs in %s", dir->path), reterr_what);
        return 0;
}

int cgroup_oom_watch_open(Cgroup *cg, const char **reterr_what) {
        return done(cg, cg->ops->oom_watch_open(cg), reterr_what);
}

int cgroup_oom_watch_drain(Cgroup *cg, int fd) {
        return cg->ops->oom_watch_drain(cg, fd);
}

int cgroup_oom_kill_count(Cgroup *cg, uint64_t *ret, const char **reterr_what) {
        return done(cg, cg->ops->oom_kill_count(cg, ret), reterr_what);
}

int cgroup_destroy(Cgroup *cg, const char **reterr_what) {
        int r;

        r = cg->ops->kill_all(cg);
        if (r < 0 && r != -ENOENT)
                return done(cg, r, reterr_what);
        return done(cg, cg->ops->remove(cg, /* rollback= */ false), reterr_what);
}
