/* linux.resources.devices on cgroup v1: deny everything first, then the rules in order, as
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/devices/v1.go reaches a whitelist (its
 * emulator computes the same transition from a fresh group's "a *:* rwm"), and check devices.list
 * afterwards. The rules are a security boundary: a container with CAP_MKNOD must not open what is not
 * allowed. The caller passes the default devices (/dev/null, ...) as rules; the library adds none. */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"

static void format_rule(const CgroupDeviceRule *d, char *buf, size_t size) {
        char major[24] = "*", minor[24] = "*";

        if (d->type == 'a') {
                snprintf(buf, size, "a");
                return;
        }
        if (d->major >= 0)
                snprintf(major, sizeof(major), "%" PRIi64, d->major);
        if (d->minor >= 0)
                snprintf(minor, sizeof(minor), "%" PRIi64, d->minor);
        snprintf(buf, size, "%c %s:%s %s", d->type, major, minor, d->access);
}

/* The open devices.allow or devices.deny (fds[1] or fds[0]), opened on first use: each rule is a write()
 * of its own, on one fd per file rather than an open and a close per rule. */
static int rule_fd(const CgroupDir *dir, bool allow, int fds[static 2]) {
        if (fds[allow] < 0)
                fds[allow] = openat(dir->fd,
                                    allow ? "devices.allow" : "devices.deny",
                                    O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        return fds[allow] < 0 ? -errno : fds[allow];
}

static void rule_fds_close(int (*fds)[2]) {
        safe_close((*fds)[0]);
        safe_close((*fds)[1]);
}

int cg_v1_devices(Cgroup *cg, const CgroupResources *res) {
        const CgroupDir *dir = &cg->v1[CGROUP_CONTROLLER_DEVICES];
        _cleanup_(rule_fds_close) int fds[2] = {-EBADF, -EBADF};
        _cleanup_free_ char *list = NULL;
        bool allow_all = false;
        int r, fd;

        if (!res->has_devices)
                return 0;
        /* Unless the rules begin with it themselves, as runc spec's and the runtime's defaults do. */
        if (res->n_devices == 0 || res->devices[0].allow || res->devices[0].type != 'a') {
                fd = rule_fd(dir, false, fds);
                r = fd < 0 ? fd : cg_write_fd(fd, "a");
                if (r < 0)
                        return cg_fail(cg, r, "devices.deny in %s (value 'a')", dir->path);
        }
        for (size_t i = 0; i < res->n_devices; i++) {
                const CgroupDeviceRule *d = &res->devices[i];
                const char *file = d->allow ? "devices.allow" : "devices.deny";
                char buf[96];

                format_rule(d, buf, sizeof(buf));
                fd = rule_fd(dir, d->allow, fds);
                r = fd < 0 ? fd : cg_write_fd(fd, buf);
                if (r < 0)
                        return cg_fail(cg, r, "%s in %s (devices[%zu] '%s')", file, dir->path, i, buf);
                if (d->type == 'a')
                        allow_all = d->allow;
        }
        /* After a deny-all, devices.list must not read "a *:* rwm" unless a rule allowed all. */
        r = cg_read_at(dir->fd, "devices.list", &list);
        if (r < 0)
                return cg_fail(cg, r, "devices.list in %s", dir->path);
        if (!allow_all && strncmp(list, "a *:* rwm", 9) == 0)
                return cg_fail(
                        cg, -EIO, "devices.list in %s still allows every device after the rules", dir->path);
        return 0;
}
