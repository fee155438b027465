/* The container's cgroup through the cgroup library (cgroups/cgroup.h): the group of linux.cgroupsPath,
 * the limits of linux.resources through the adapter (oci-cgroup.h), the paths kept in the state. */

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container-cgroup.h"
#include "json-util.h"
#include "macro.h"
#include "oci-cgroup.h"
#include "pidfd-util.h"

#define UNIFIED_KEY "unified"
/* The state's key for a systemd scope: the cgroupsPath it was made from, "slice:prefix:name" */
#define SYSTEMD_KEY "systemd"

#ifndef HAVE_SYSTEMD_DRIVER
#define HAVE_SYSTEMD_DRIVER 0
#endif

_printf_(4, 5) static int fail(char *buf, size_t size, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        return r;
}

bool container_cgroup_wanted(const OciConfig *c, bool disabled, bool systemd) {
        if (disabled)
                return false;
        return systemd || geteuid() == 0 || c->cgroups_path || c->resources;
}

void container_cgroup_done(ContainerCgroup *cc) {
        cc->cg = cgroup_free(cc->cg);
        cc->host = cgroup_host_free(cc->host);
        free(cc->systemd_spec);
        cc->systemd_spec = NULL;
}

/* The systemd driver's group: the scope cgroupsPath names, "slice:prefix:name" ("" or none: the
 * driver's default). "SLICE/", what --cgroup-parent makes, is SLICE:tether:ID. */
static int new_systemd_group(const char *spec, const char *id, ContainerCgroup *cc, char *buf, size_t size) {
        const char *what = NULL;
        size_t n = spec ? strlen(spec) : 0;
        int r;

        if (n > 0 && spec[n - 1] == '/')
                r = asprintf(&cc->systemd_spec, "%.*s:tether:%s", (int) n - 1, spec, id);
        else
                r = asprintf(&cc->systemd_spec, "%s", spec ?: "");
        if (r < 0) {
                cc->systemd_spec = NULL;
                return fail(buf, size, -ENOMEM, "out of memory");
        }
#if HAVE_SYSTEMD_DRIVER
        r = cgroup_new_systemd(cc->host, cc->systemd_spec, id, &cc->cg, &what);
#else
        r = -EPROTONOSUPPORT; /* the caller runs tether-systemd (cli-systemd.c) before it comes here */
        what = "the systemd driver is not in this binary";
#endif
        if (r == -ENOMEM)
                return fail(buf, size, r, "out of memory");
        if (r < 0)
                return fail(
                        buf,
                        size,
                        r,
                        "invalid linux.cgroupsPath '%s' for the systemd cgroup driver (slice:prefix:name): %s",
                        cc->systemd_spec,
                        what ?: "");
        return 0;
}

static int
new_group(const OciConfig *c, const char *id, bool systemd, ContainerCgroup *cc, char *buf, size_t size) {
        int r;

        r = cgroup_host_detect(&cc->host);
        if (r == -ENOMEDIUM)
                return fail(buf, size, r, "no cgroup file system is mounted, so no cgroup can be made");
        if (r < 0)
                return fail(buf, size, r, "failed to find the host's cgroup hierarchies");
        if (systemd)
                return new_systemd_group(c->cgroups_path, id, cc, buf, size);
        /* "PARENT/" (spec and run --cgroup-parent): the container's id below PARENT. */
        if (c->cgroups_path && *c->cgroups_path && c->cgroups_path[strlen(c->cgroups_path) - 1] == '/') {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s%s", c->cgroups_path, id) < 0)
                        return fail(buf, size, -ENOMEM, "out of memory");
                r = cgroup_new(cc->host, p, id, &cc->cg);
        } else
                r = cgroup_new(cc->host, c->cgroups_path, id, &cc->cg);
        if (r == -EINVAL)
                return fail(
                        buf,
                        size,
                        r,
                        "invalid linux.cgroupsPath '%s': '..' is not allowed, nor the caller's own cgroup "
                        "or one above it",
                        c->cgroups_path ?: "");
        if (r == -EXDEV)
                return fail(
                        buf,
                        size,
                        r,
                        "invalid linux.cgroupsPath '%s': it lies outside the cgroup hierarchies mounted here",
                        c->cgroups_path ?: "");
        if (r < 0)
                return fail(buf, size, r, "invalid linux.cgroupsPath '%s'", c->cgroups_path ?: "");
        return 0;
}

int container_cgroup_create(const OciConfig *c,
                            const char *id,
                            bool systemd,
                            pid_t pid,
                            ContainerCgroup *ret,
                            char *buf,
                            size_t size) {
        _cleanup_(container_cgroup_done) ContainerCgroup cc = {};
        OciCgroupResources res = {};
        const char *what = NULL;
        int r;

        r = new_group(c, id, systemd, &cc, buf, size);
        /* Nothing asked of cgroups and none here (a chroot without /sys): no group, as before cgroups. */
        if (r == -ENOMEDIUM && !c->resources && !c->cgroups_path && !systemd) {
                *ret = (ContainerCgroup){};
                return 0;
        }
        if (r < 0)
                return r;
        r = oci_cgroup_resources(c->resources, c->devices, c->n_devices, OCI_CGROUP_DEFAULT_DEVICES, &res);
        if (r < 0)
                return fail(buf, size, r, "failed to convert linux.resources");
        /* Checks, creates, applies and, given its pid, puts the first process in (it waits for the runtime,
         * so it is in the group before it does anything); removes what it made on failure. The systemd
         * driver makes its scope around the process. */
        r = pid > 0 ? cgroup_create_pid(cc.cg, &res.res, pid, &what) : cgroup_create(cc.cg, &res.res, &what);
        oci_cgroup_resources_done(&res);
        if (r == -EEXIST)
                return fail(buf, size, r, "cgroup '%s' exists already", cgroup_get_path(cc.cg));
        if (r == -EINVAL || r == -ERANGE)
                return fail(buf, size, r, "invalid linux.resources: %s", what ?: "");
        /* cgroup v2's "no internal processes" rule keeps controllers out of a group with processes, such as
         * a login session's scope: tether never changes groups it did not make, so say what works. */
        if (r == -EOPNOTSUPP && !systemd && cc.host->mode == CGROUP_MODE_UNIFIED)
                return fail(
                        buf,
                        size,
                        r,
                        "cannot make its cgroup: %s; give an absolute linux.cgroupsPath (or --cgroup-parent) "
                        "below a group that has it enabled, or use --systemd-cgroup",
                        what ?: "");
        if (r < 0)
                return fail(buf, size, r, "cannot make its cgroup: %s", what ?: "");
        *ret = cc;
        cc = (ContainerCgroup){};
        return 0;
}

int container_cgroup_paths(const ContainerCgroup *cc, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        size_t n = 0;

        l = calloc(2 * (_CGROUP_CONTROLLER_MAX + 2) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (cc->systemd_spec) {
                l[n] = strdup(SYSTEMD_KEY);
                l[n + 1] = strdup(cc->systemd_spec);
                if (!l[n] || !l[n + 1])
                        return -ENOMEM;
                n += 2;
        }
        for (CgroupController c = _CGROUP_CONTROLLER_INVALID; c < _CGROUP_CONTROLLER_MAX;
             c = c < 0 ? 0 : c + 1) {
                const char *group = cgroup_get_group(cc->cg, c);

                if (!group)
                        continue;
                l[n] = strdup(c < 0 ? UNIFIED_KEY : cgroup_controller_to_string(c));
                l[n + 1] = strdup(group);
                if (!l[n] || !l[n + 1])
                        return -ENOMEM;
                n += 2;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static const char *paths_get(char **paths, const char *key) {
        for (char **p = paths; p && p[0] && p[1]; p += 2)
                if (strcmp(p[0], key) == 0)
                        return p[1];
        return NULL;
}

bool container_cgroup_paths_systemd(char **paths) {
        return paths_get(paths, SYSTEMD_KEY);
}

int container_cgroup_open(char **paths, ContainerCgroup *ret, char *buf, size_t size) {
        _cleanup_(container_cgroup_done) ContainerCgroup cc = {};
        const char *groups[_CGROUP_CONTROLLER_MAX] = {}, *what = NULL;
        int r;

        if (!paths || !paths[0])
                return fail(buf, size, -ENOENT, "it has no cgroup");
        for (char **p = paths; p[0] && p[1]; p += 2) {
                CgroupController c = cgroup_controller_from_string(p[0]);

                if (c >= 0)
                        groups[c] = p[1];
        }
        r = cgroup_host_detect(&cc.host);
        if (r < 0)
                return fail(buf, size, r, "failed to find the host's cgroup hierarchies");
        r = cgroup_new_at(cc.host, groups, paths_get(paths, UNIFIED_KEY), &cc.cg);
        if (r < 0)
                return fail(buf, size, r, "its recorded cgroup does not match this host's hierarchies");
        r = cgroup_open(cc.cg, &what);
        if (r < 0)
                return fail(buf, size, r, "failed to open its cgroup: %s", what);
        *ret = cc;
        cc = (ContainerCgroup){};
        return 0;
}

int container_cgroup_open_unit(char **paths, const char *id, ContainerCgroup *ret, char *buf, size_t size) {
        _cleanup_(container_cgroup_done) ContainerCgroup cc = {};
        const char *spec = paths_get(paths, SYSTEMD_KEY), *what = NULL;
        int r;

        if (!spec)
                return container_cgroup_open(paths, ret, buf, size);
        r = cgroup_host_detect(&cc.host);
        if (r < 0)
                return fail(buf, size, r, "failed to find the host's cgroup hierarchies");
        r = new_systemd_group(spec, id, &cc, buf, size);
        if (r < 0)
                return r;
        r = cgroup_open(cc.cg, &what);
        if (r < 0)
                return fail(buf, size, r, "failed to open its cgroup: %s", what);
        *ret = cc;
        cc = (ContainerCgroup){};
        return 0;
}

int container_cgroup_destroy(ContainerCgroup *cc, char *buf, size_t size) {
        const char *what = NULL;
        int r;

        r = cgroup_destroy(cc->cg, &what);
        if (r < 0)
                return fail(buf, size, r, "failed to remove its cgroup: %s", what ?: "");
        return 0;
}

int container_cgroup_pids(ContainerCgroup *cc, pid_t **ret, size_t *ret_n, char *buf, size_t size) {
        const char *what = NULL;
        int r;

        r = cgroup_get_pids(cc->cg, ret, ret_n, &what);
        if (r < 0)
                return fail(buf, size, r, "failed to list the processes of its cgroup: %s", what);
        return 0;
}

/* Signals each process listed, through a pidfd opened while the group is frozen: a frozen process cannot
 * exit, so its pid cannot have been reused since the list was read. */
static int signal_listed(ContainerCgroup *cc, int sig, char *buf, size_t size) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r, ret = 0;

        r = container_cgroup_pids(cc, &pids, &n, buf, size);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int pidfd = pidfd_open_pid(pids[i]);

                if (pidfd < 0)
                        continue; /* exited (killed by someone) since */
                r = pidfd_kill(pidfd, pids[i], sig);
                if (r < 0 && r != -ESRCH && ret >= 0)
                        ret = fail(buf, size, r, "failed to signal process %d", (int) pids[i]);
        }
        return ret;
}

int container_cgroup_signal_all(ContainerCgroup *cc, int sig, bool paused, char *buf, size_t size) {
        const char *what = NULL;
        int r, k;

        if (sig == SIGKILL) {
                r = cgroup_kill_all(cc->cg, &what);
                return r < 0 ? fail(buf, size, r, "failed to kill the processes of its cgroup: %s", what)
                             : 0;
        }
        if (!paused) {
                r = cgroup_freeze(cc->cg, true, &what);
                if (r < 0)
                        return fail(buf, size, r, "failed to freeze its cgroup: %s", what);
        }
        r = signal_listed(cc, sig, buf, size);
        if (!paused) {
                k = cgroup_freeze(cc->cg, false, &what);
                if (k < 0 && r >= 0)
                        r = fail(buf, size, k, "failed to thaw its cgroup: %s", what);
        }
        return r;
}
