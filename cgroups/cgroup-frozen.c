/* Whether a group is frozen, read from the kernel rather than remembered: a manager above the container
 * (or an administrator) may freeze or thaw it behind the runtime's back, and runc reports "paused" from
 * the freezer itself (opencontainers/runc:libcontainer/container_linux.go refreshState, isPaused).
 *
 * The effective state is what counts, the group's own freeze or an ancestor's: v1's freezer.state is "the
 * combined self and parent states" (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst), and v2's
 * "frozen" key of cgroup.events is the same, where cgroup.freeze is only the group's own request
 * (Documentation/admin-guide/cgroup-v2.rst). So both drivers answer alike: FREEZING (v1) and a freeze
 * asked for but not complete (v2: cgroup.freeze 1, frozen 0) are not frozen yet. One small file, one
 * read: `tether state` and `list` ask for every container. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"

#define FREEZER_STATE "freezer.state"
#define CGROUP_EVENTS "cgroup.events"

int cg_parse_frozen(const char *file, const char *text, bool *ret) {
        size_t n = strcspn(text, "\n");
        uint64_t v;
        int r;

        if (strcmp(file, FREEZER_STATE) == 0) {
                if (n == 6 && strncmp(text, "FROZEN", n) == 0)
                        return *ret = true, 0;
                if ((n == 6 && strncmp(text, "THAWED", n) == 0) ||
                    (n == 8 && strncmp(text, "FREEZING", n) == 0))
                        return *ret = false, 0;
                return -EBADMSG;
        }
        if (strcmp(file, CGROUP_EVENTS) == 0) {
                r = cg_keyed_u64(text, "frozen", &v);
                if (r == -ENOENT) /* Linux < 5.2 has no v2 freezer: nothing can be frozen */
                        return *ret = false, 0;
                if (r < 0 || v > 1)
                        return -EBADMSG;
                return *ret = v == 1, 0;
        }
        return -EINVAL;
}

int cgroup_get_freeze_file(const Cgroup *cg, char **ret) {
        const char *dir, *file;
        char *p;

        /* The hierarchy cgroup_freeze() writes (cgroup-v1.c v1_freeze): the v1 freezer's where the host
         * has one, else the cgroup2 group (v2, systemd, and hybrid hosts without a v1 freezer). */
        if (cg->v1[CGROUP_CONTROLLER_FREEZER].path) {
                dir = cg->v1[CGROUP_CONTROLLER_FREEZER].path;
                file = FREEZER_STATE;
        } else if (cg->unified.path) {
                dir = cg->unified.path;
                file = CGROUP_EVENTS;
        } else
                return -EOPNOTSUPP;
        if (asprintf(&p, "%s/%s", dir, file) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int cgroup_freeze_file_read(const char *path, bool *ret) {
        _cleanup_close_ int fd = -EBADF;
        const char *file = strrchr(path, '/');
        char buf[256];
        ssize_t n;

        if (!file || file[1] == '\0')
                return -EINVAL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        /* Both files are a few words long: one read() gets all of it. */
        n = RETRY_ON_EINTR(read(fd, buf, sizeof(buf) - 1));
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return cg_parse_frozen(file + 1, buf, ret);
}

int cgroup_is_frozen(Cgroup *cg, bool *ret, const char **reterr_what) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = cgroup_get_freeze_file(cg, &path);
        if (r == -EOPNOTSUPP)
                r = cg_fail(cg, r, "freezer: no cgroup v1 hierarchy of it is mounted, nor cgroup2");
        else if (r >= 0 && (r = cgroup_freeze_file_read(path, ret)) < 0)
                r = cg_fail(cg, r, "%s", path);
        if (r < 0 && reterr_what)
                *reterr_what = cg->what;
        return r;
}
