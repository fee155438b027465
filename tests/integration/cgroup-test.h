#pragma once

/* Helpers of the cgroup integration tests: a dedicated parent group below this process's own group in
 * every hierarchy, children forked by the test and held by pidfds, teardown. Header-only, one test program
 * each. Nothing here sleeps to synchronise: children wait on pipes, the tests on pidfds and pipes, and
 * timeouts only bound failures. */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "pidfd-util.h"
#include "tap.h"

static char test_parent[64]; /* "tether-test-<random>", relative: below our own group everywhere */

static inline void test_parent_init(void) {
        uint64_t rnd = 0;

        (void) getrandom(&rnd, sizeof(rnd), 0);
        snprintf(test_parent, sizeof(test_parent), "tether-test-%016llx", (unsigned long long) rnd);
}

/* A group's directory in one hierarchy: below our own group, the test's parent, then name. */
static inline void test_hier_path(const CgroupHierarchy *hi, const char *name, char *buf, size_t size) {
        const char *own = hi->own;

        if (strcmp(hi->root, "/") != 0)
                own += strlen(hi->root);
        snprintf(buf,
                 size,
                 "%s%s/%s%s%s",
                 hi->mount,
                 strcmp(own, "/") == 0 ? "" : own,
                 test_parent,
                 name ? "/" : "",
                 name ? name : "");
}

/* Whether the group name exists in any hierarchy. */
static inline bool test_group_exists(const CgroupHost *h, const char *name) {
        char p[PATH_MAX];
        struct stat st;

        if (h->unified.mount) {
                test_hier_path(&h->unified, name, p, sizeof(p));
                if (stat(p, &st) >= 0)
                        return true;
        }
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (h->v1[c].mount) {
                        test_hier_path(&h->v1[c], name, p, sizeof(p));
                        if (stat(p, &st) >= 0)
                                return true;
                }
        return false;
}

/* Removes the test's parent wherever it is, once its groups are gone. */
static inline void test_parent_remove(const CgroupHost *h) {
        char p[PATH_MAX];

        if (h->unified.mount) {
                test_hier_path(&h->unified, NULL, p, sizeof(p));
                (void) rmdir(p);
        }
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (h->v1[c].mount) {
                        test_hier_path(&h->v1[c], NULL, p, sizeof(p));
                        (void) rmdir(p);
                }
}

static inline Cgroup *test_group(const CgroupHost *h, const char *name, const CgroupResources *res) {
        char spec[128];
        Cgroup *cg = NULL;
        const char *what = "";
        int r;

        snprintf(spec, sizeof(spec), "%s/%s", test_parent, name);
        r = cgroup_new(h, spec, name, &cg);
        if (r < 0) {
                tap_ok(0, "cgroup_new(%s): %s", spec, strerror(-r));
                return NULL;
        }
        r = cgroup_create(cg, res, &what);
        if (!tap_ok(r >= 0, "create group %s", name))
                printf("#   %s: %s\n", what, strerror(-r));
        if (r < 0)
                return cgroup_free(cg);
        return cg;
}

/* Kills what is left and removes the group; checks it is gone everywhere. */
static inline void test_group_destroy(const CgroupHost *h, Cgroup *cg, const char *name) {
        const char *what = NULL;
        int r;

        if (!cg)
                return;
        r = cgroup_destroy(cg, &what);
        if (!tap_ok(r >= 0, "destroy group %s", name))
                printf("#   %s: %s\n", what ? what : "", strerror(-r));
        tap_ok(!test_group_exists(h, name), "group %s is gone from every hierarchy", name);
        cgroup_free(cg);
}

typedef struct Child {
        pid_t pid;
        int pidfd;
        int report; /* read end of the child's pipe to us */
} Child;

/* Forks fn(report_fd) as a child that first waits for its go (a byte on a pipe), so that it is in the
 * group before it does anything. Only the test's own children ever go into test groups. */
static inline int test_spawn(Cgroup *cg, void (*fn)(int report_fd), Child *ret) {
        int go[2], rep[2];
        const char *what = NULL;
        pid_t pid;
        int r;

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char c;

                close(go[1]);
                close(rep[0]);
                if (read(go[0], &c, 1) != 1)
                        _exit(126);
                fn(rep[1]);
                _exit(0);
        }
        close(go[0]);
        close(rep[1]);
        ret->pid = pid;
        ret->report = rep[0];
        ret->pidfd = pidfd_open_pid(pid);
        r = cg ? cgroup_attach(cg, pid, &what) : 0;
        if (r < 0)
                printf("#   attach: %s: %s\n", what ? what : "", strerror(-r));
        (void) write(go[1], "g", 1);
        close(go[1]);
        return r < 0 ? r : ret->pidfd < 0 ? ret->pidfd : 0;
}

/* Reads exactly n bytes from fd within timeout_ms; 0, or -ETIMEDOUT / -EPIPE. */
static inline int test_read(int fd, void *buf, size_t n, int timeout_ms) {
        size_t got = 0;

        while (got < n) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t k;

                if (poll(&p, 1, timeout_ms) == 0)
                        return -ETIMEDOUT;
                k = read(fd, (char *) buf + got, n - got);
                if (k <= 0)
                        return k < 0 ? -errno : -EPIPE;
                got += (size_t) k;
        }
        return 0;
}

/* Waits (bounded) for the child to exit and reaps it; returns its siginfo code and status. */
static inline int test_wait(Child *c, int timeout_ms, siginfo_t *ret) {
        struct pollfd p = {.fd = c->pidfd, .events = POLLIN};

        if (poll(&p, 1, timeout_ms) == 0)
                return -ETIMEDOUT;
        if (waitid(P_PIDFD, (id_t) c->pidfd, ret, WEXITED) < 0)
                return -errno;
        c->pidfd = safe_close(c->pidfd);
        return 0;
}

static inline void test_child_done(Child *c) {
        siginfo_t si;

        if (c->pidfd >= 0) { /* still running after a failed test: ours, so kill and reap it */
                (void) pidfd_kill(c->pidfd, c->pid, SIGKILL);
                (void) waitid(P_PIDFD, (id_t) c->pidfd, &si, WEXITED | WNOHANG);
                close(c->pidfd);
        }
        if (c->report >= 0)
                close(c->report);
        c->pidfd = c->report = -1;
}

/* Reads a cgroup.controllers or cgroup.subtree_control file as CGROUP_MASK()s. */
static inline unsigned test_read_mask(const char *path) {
        _cleanup_free_ char *text = NULL;
        unsigned mask = 0;

        if (cg_read_at(AT_FDCWD, path, &text) < 0)
                return 0;
        for (char *w = strtok(text, " \n"); w; w = strtok(NULL, " \n")) {
                CgroupController c = cgroup_controller_from_string(w);

                if (c >= 0)
                        mask |= CGROUP_MASK(c);
        }
        return mask;
}

/* The host as the v2 driver's tests see it: only its cgroup2 mount (a hybrid host's v1 hierarchies out of
 * sight), and, where TETHER_TEST_CGROUP_BASE names a group of that mount, that group as the caller's own.
 * The vm suite sets it (tests/vm/guest/test_cgroup_programs.py): there we run in a leaf of a delegated
 * scope, because cgroup v2 lets no group hand controllers to its children while it holds processes itself
 * ("no internal process" rule, Documentation/admin-guide/cgroup-v2.rst), so our own group could never get
 * any; the scope is what a container manager's own group is. -ENOMEDIUM without a cgroup2 mount. */
static inline int test_unified_host(CgroupHost **ret) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        const char *base = getenv("TETHER_TEST_CGROUP_BASE");
        char path[PATH_MAX];
        int r;

        r = cgroup_host_detect(&h);
        if (r < 0)
                return r;
        if (!h->unified.mount)
                return -ENOMEDIUM;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                free(h->v1[c].mount);
                free(h->v1[c].root);
                free(h->v1[c].own);
                h->v1[c] = (CgroupHierarchy){};
        }
        h->mode = CGROUP_MODE_UNIFIED;
        if (base && base[0] == '/') {
                free(h->unified.own);
                h->unified.own = strdup(base);
                if (!h->unified.own)
                        return -ENOMEM;
                snprintf(path, sizeof(path), "%s%s/cgroup.controllers", h->unified.mount, base);
                h->unified_available = test_read_mask(path);
                snprintf(path, sizeof(path), "%s%s/cgroup.subtree_control", h->unified.mount, base);
                h->unified_enabled = test_read_mask(path);
        }
        *ret = TAKE_PTR(h);
        return 0;
}

/* Orphans of our children come to us (we are their subreaper): reap whatever exited. */
static inline void test_reap_orphans(void) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}
