/* A shim run as a transient service with Delegate=yes (shimctl-unit.c) owns its service's cgroup. cgroup
 * v2 lets a group hand controllers to its children only while it holds no process itself ("no internal
 * processes"), so the shim moves into a leaf of its own, <service>/shim, and enables the service's
 * controllers below it; the container then gets <service>/<id> with its limits, as systemd's
 * "Control Group APIs and Delegation" page describes for a delegated unit (systemd/systemd:
 * docs/CGROUP_DELEGATION.md). Plain files: the shim links no cgroup driver for this. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "shim.h"

#define CGROUP2_ROOT "/sys/fs/cgroup"

/* Our cgroup v2 group, "/system.slice/tether-shim-web.service", from /proc/self/cgroup's "0::" line; NULL
 * on a v1 or hybrid host's answer. */
static char *own_group(void) {
        char buf[4096];
        ssize_t n;
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        if (strncmp(buf, "0::/", 4) != 0 || strchr(buf, '\n') != buf + n - 1)
                return NULL; /* only a pure cgroup v2 host has a single "0::" line */
        buf[n - 1] = '\0';
        return strdup(buf + 3);
}

static int write_file(const char *dir, const char *file, const char *value) {
        char path[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(value);

        if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write(fd, value, n) == (ssize_t) n ? 0 : -errno;
}

/* "cpu memory pids" to "+cpu +memory +pids". */
static int enable_list(const char *dir, char *buf, size_t size) {
        char path[PATH_MAX], controllers[512];
        ssize_t n;
        size_t len = 0;
        int fd;

        if (snprintf(path, sizeof(path), "%s/cgroup.controllers", dir) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, controllers, sizeof(controllers) - 1);
        close(fd);
        if (n < 0)
                return -errno;
        controllers[n] = '\0';
        buf[0] = '\0';
        for (char *save = NULL, *c = strtok_r(controllers, " \n", &save); c;
             c = strtok_r(NULL, " \n", &save))
                len += (size_t) snprintf(buf + len, len < size ? size - len : 0, "%s+%s", len ? " " : "", c);
        return len < size ? 0 : -ENOBUFS;
}

int shim_delegate(Shim *s, char **ret_group) {
        _cleanup_free_ char *group = own_group();
        char dir[PATH_MAX], leaf[PATH_MAX], list[512];
        int r;

        if (!group)
                return -EOPNOTSUPP;
        if (snprintf(dir, sizeof(dir), CGROUP2_ROOT "%s", group) >= (int) sizeof(dir) ||
            snprintf(leaf, sizeof(leaf), "%s/shim", dir) >= (int) sizeof(leaf))
                return -ENAMETOOLONG;
        if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
                return -errno;
        r = write_file(leaf, "cgroup.procs", "0");
        if (r < 0)
                return r;
        r = enable_list(dir, list, sizeof(list));
        if (r >= 0 && list[0])
                r = write_file(dir, "cgroup.subtree_control", list);
        if (r < 0)
                return r;
        *ret_group = TAKE_PTR(group);
        return 0;
}
