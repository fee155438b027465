/* Names of modes and controllers; resolution of linux.cgroupsPath. Pure. */

#include <string.h>

#include "cgroup.h"
#include "macro.h"

static const char *const mode_names[_CGROUP_MODE_MAX] = {
        [CGROUP_MODE_LEGACY] = "legacy",
        [CGROUP_MODE_HYBRID] = "hybrid",
        [CGROUP_MODE_UNIFIED] = "unified",
};

static const char *const controller_names[_CGROUP_CONTROLLER_MAX] = {
        [CGROUP_CONTROLLER_CPU] = "cpu",
        [CGROUP_CONTROLLER_CPUACCT] = "cpuacct",
        [CGROUP_CONTROLLER_CPUSET] = "cpuset",
        [CGROUP_CONTROLLER_MEMORY] = "memory",
        [CGROUP_CONTROLLER_PIDS] = "pids",
        [CGROUP_CONTROLLER_BLKIO] = "blkio",
        [CGROUP_CONTROLLER_DEVICES] = "devices",
        [CGROUP_CONTROLLER_FREEZER] = "freezer",
        [CGROUP_CONTROLLER_HUGETLB] = "hugetlb",
        [CGROUP_CONTROLLER_NET_CLS] = "net_cls",
        [CGROUP_CONTROLLER_NET_PRIO] = "net_prio",
        [CGROUP_CONTROLLER_RDMA] = "rdma",
        [CGROUP_CONTROLLER_MISC] = "misc",
};

/* v2 controllers (Documentation/admin-guide/cgroup-v2.rst "Controllers"); NULL where v1's is core. */
static const char *const controller_v2_names[_CGROUP_CONTROLLER_MAX] = {
        [CGROUP_CONTROLLER_CPU] = "cpu",
        [CGROUP_CONTROLLER_CPUSET] = "cpuset",
        [CGROUP_CONTROLLER_MEMORY] = "memory",
        [CGROUP_CONTROLLER_PIDS] = "pids",
        [CGROUP_CONTROLLER_BLKIO] = "io",
        [CGROUP_CONTROLLER_HUGETLB] = "hugetlb",
        [CGROUP_CONTROLLER_RDMA] = "rdma",
        [CGROUP_CONTROLLER_MISC] = "misc",
};

const char *cgroup_mode_to_string(CgroupMode m) {
        return m >= 0 && m < _CGROUP_MODE_MAX ? mode_names[m] : NULL;
}

const char *cgroup_controller_to_string(CgroupController c) {
        return c >= 0 && c < _CGROUP_CONTROLLER_MAX ? controller_names[c] : NULL;
}

const char *cgroup_controller_to_v2_string(CgroupController c) {
        return c >= 0 && c < _CGROUP_CONTROLLER_MAX ? controller_v2_names[c] : NULL;
}

CgroupController cgroup_controller_from_string(const char *s) {
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (strcmp(s, controller_names[c]) == 0 ||
                    (controller_v2_names[c] && strcmp(s, controller_v2_names[c]) == 0))
                        return c;
        return _CGROUP_CONTROLLER_INVALID;
}

/* Appends the components of s to buf (which holds len bytes), dropping empty and "." ones. */
static int append_components(char *buf, size_t *len, const char *s) {
        while (*s) {
                size_t n = strcspn(s, "/");

                if (n == 2 && s[0] == '.' && s[1] == '.')
                        return -EINVAL;
                if (n > 0 && !(n == 1 && s[0] == '.')) {
                        buf[(*len)++] = '/';
                        memcpy(buf + *len, s, n);
                        *len += n;
                }
                s += n;
                if (*s == '/')
                        s++;
        }
        buf[*len] = '\0';
        return 0;
}

int cgroup_path_resolve(const char *own, const char *spec, const char *default_name, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, own_len;
        bool absolute = spec && spec[0] == '/';
        int r;

        if (!own || own[0] != '/')
                return -EINVAL;
        if (!spec || !*spec) {
                if (!default_name || !*default_name || strchr(default_name, '/'))
                        return -EINVAL;
        }
        buf = malloc(strlen(own) + (spec ? strlen(spec) : 0) + (default_name ? strlen(default_name) : 0) +
                     16);
        if (!buf)
                return -ENOMEM;
        buf[0] = '\0';
        if (!absolute) {
                r = append_components(buf, &len, own);
                if (r < 0)
                        return r;
        }
        own_len = len;
        if (!spec || !*spec) {
                r = append_components(buf, &len, "tether");
                if (r >= 0)
                        r = append_components(buf, &len, default_name);
        } else
                r = append_components(buf, &len, spec);
        if (r < 0)
                return r;
        /* A relative path that added nothing is the caller's own group; an absolute one that names the
         * root, or an ancestor of (or) the caller's group, is not ours to write either. */
        if (len == own_len && !absolute)
                return -EINVAL;
        if (absolute) {
                size_t olen = strlen(own);

                while (olen > 1 && own[olen - 1] == '/')
                        olen--;
                if (len == 0 ||
                    (len <= olen && strncmp(own, buf, len) == 0 && (own[len] == '/' || own[len] == '\0')))
                        return -EINVAL;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}
