/* Detection of the host's cgroup layout from /proc/self/mountinfo and /proc/self/cgroup: unified, hybrid
 * or legacy, where each v1 controller is mounted and which group of each hierarchy we are in. */

#include <fcntl.h>
#include <string.h>

#include "cgroup-internal.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t n) {
        char *d = malloc(n + 1), *p = d;

        if (!d)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (s[i] == '\\' && i + 3 < n + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *p++ = (char) ((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                } else
                        *p++ = s[i];
        *p = '\0';
        return d;
}

/* The n-th space-separated field of line (up to end); NULL if there are fewer. */
static const char *field(const char *line, const char *end, unsigned n, size_t *ret_len) {
        const char *p = line;

        for (unsigned i = 0; i < n; i++) {
                p = memchr(p, ' ', (size_t) (end - p));
                if (!p)
                        return NULL;
                p++;
        }
        *ret_len = strcspn(p, " \n");
        if (p + *ret_len > end)
                *ret_len = (size_t) (end - p);
        return p;
}

/* The v1 controller named by the n bytes at name (a mount option, or a /proc/PID/cgroup field), or
 * -EINVAL; "io" is cgroup2's name, never a v1 hierarchy's. */
static CgroupController v1_controller(const char *name, size_t n) {
        char buf[32];

        if (n == 0 || n >= sizeof(buf))
                return _CGROUP_CONTROLLER_INVALID;
        memcpy(buf, name, n);
        buf[n] = '\0';
        return strcmp(buf, "io") == 0 ? _CGROUP_CONTROLLER_INVALID : cgroup_controller_from_string(buf);
}

static int
set_hierarchy(CgroupHierarchy *h, const char *root, size_t root_len, const char *mnt, size_t mnt_len) {
        h->root = unescape(root, root_len);
        h->mount = unescape(mnt, mnt_len);
        return h->root && h->mount ? 0 : -ENOMEM;
}

static int parse_mount_line(CgroupHost *h, const char *line, const char *end) {
        const char *root, *mnt, *sep, *fstype, *opts;
        size_t root_len = 0, mnt_len = 0, fstype_len = 0, opts_len = 0;
        int r;

        root = field(line, end, 3, &root_len);
        mnt = field(line, end, 4, &mnt_len);
        /* optional fields up to " - ", then fstype, source, super options */
        sep = root ? strstr(root, " - ") : NULL;
        if (!root || !mnt || !sep || sep > end)
                return 0;
        fstype = field(sep + 3, end, 0, &fstype_len);
        opts = field(sep + 3, end, 2, &opts_len);
        if (!fstype || !opts)
                return 0;
        if (fstype_len == 7 && memcmp(fstype, "cgroup2", 7) == 0) {
                if (h->unified.mount)
                        return 0;
                return set_hierarchy(&h->unified, root, root_len, mnt, mnt_len);
        }
        if (fstype_len != 6 || memcmp(fstype, "cgroup", 6) != 0)
                return 0;
        for (const char *o = opts; o < opts + opts_len;) {
                size_t n = strcspn(o, ",\n ");
                CgroupController c = v1_controller(o, n);

                if (c >= 0 && !h->v1[c].mount) {
                        r = set_hierarchy(&h->v1[c], root, root_len, mnt, mnt_len);
                        if (r < 0)
                                return r;
                }
                o += n + 1;
        }
        return 0;
}

/* "ID:CONTROLLERS:PATH": the own group of each controller listed, or of the unified hierarchy. */
static int parse_cgroup_line(CgroupHost *h, const char *line, const char *end) {
        const char *c1 = memchr(line, ':', (size_t) (end - line)), *c2;

        if (!c1 || !(c2 = memchr(c1 + 1, ':', (size_t) (end - c1 - 1))))
                return 0;
        if (c2 == c1 + 1) {
                if (line[0] != '0' || c1 != line + 1 || h->unified.own)
                        return 0;
                h->unified.own = strndup(c2 + 1, (size_t) (end - c2 - 1));
                return h->unified.own ? 0 : -ENOMEM;
        }
        for (const char *o = c1 + 1; o < c2;) {
                size_t n = strcspn(o, ",:");
                CgroupController c = v1_controller(o, n);

                if (c >= 0 && !h->v1[c].own) {
                        h->v1[c].own = strndup(c2 + 1, (size_t) (end - c2 - 1));
                        if (!h->v1[c].own)
                                return -ENOMEM;
                }
                o += n + 1;
        }
        return 0;
}

static int
for_each_line(CgroupHost *h, const char *text, int (*f)(CgroupHost *, const char *, const char *)) {
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                const char *end = nl ? nl : line + strlen(line);
                int r;

                r = f(h, line, end);
                if (r < 0)
                        return r;
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

/* A hierarchy is usable only where the caller's group is visible below the mount's root (a container's
 * bind mount of a subtree may hide it). */
static void drop_unreachable(CgroupHierarchy *hi) {
        size_t n;

        if (!hi->mount)
                goto drop;
        if (!hi->own)
                goto drop;
        n = strlen(hi->root);
        if (strcmp(hi->root, "/") == 0 ||
            (strncmp(hi->own, hi->root, n) == 0 && (hi->own[n] == '/' || hi->own[n] == '\0')))
                return;
drop:
        free(hi->mount);
        free(hi->root);
        free(hi->own);
        *hi = (CgroupHierarchy){};
}

int cgroup_host_parse(const char *mountinfo, const char *self_cgroup, CgroupHost **ret) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        bool any_v1 = false;
        int r;

        h = calloc(1, sizeof(CgroupHost));
        if (!h)
                return -ENOMEM;
        r = for_each_line(h, mountinfo, parse_mount_line);
        if (r < 0)
                return r;
        r = for_each_line(h, self_cgroup, parse_cgroup_line);
        if (r < 0)
                return r;
        drop_unreachable(&h->unified);
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                drop_unreachable(&h->v1[c]);
                any_v1 = any_v1 || h->v1[c].mount;
        }
        if (!any_v1 && !h->unified.mount)
                return -ENOMEDIUM;
        h->mode = !any_v1 ? CGROUP_MODE_UNIFIED : h->unified.mount ? CGROUP_MODE_HYBRID : CGROUP_MODE_LEGACY;
        *ret = TAKE_PTR(h);
        return 0;
}

static unsigned controller_mask(const char *list) {
        unsigned mask = 0;

        for (const char *p = list; *p;) {
                size_t n = strcspn(p, " \n");
                char name[32];
                CgroupController c;

                if (n > 0 && n < sizeof(name)) {
                        memcpy(name, p, n);
                        name[n] = '\0';
                        c = cgroup_controller_from_string(name);
                        if (c >= 0 && cgroup_controller_to_v2_string(c) &&
                            strcmp(cgroup_controller_to_v2_string(c), name) == 0)
                                mask |= CGROUP_MASK(c);
                }
                p += n;
                p += *p != '\0';
        }
        return mask;
}

/* The unified masks of the caller's own group: its cgroup.controllers and cgroup.subtree_control. */
static int read_unified_masks(CgroupHost *h) {
        _cleanup_free_ char *dir = NULL, *available = NULL, *enabled = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *rel = h->unified.own + strlen(h->unified.root);
        int r;

        if (strcmp(h->unified.root, "/") == 0)
                rel = h->unified.own;
        if (asprintf(&dir, "%s%s", h->unified.mount, rel) < 0)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = cg_read_at(fd, "cgroup.controllers", &available);
        if (r < 0)
                return r;
        r = cg_read_at(fd, "cgroup.subtree_control", &enabled);
        if (r < 0)
                return r;
        h->unified_available = controller_mask(available);
        h->unified_enabled = controller_mask(enabled);
        return 0;
}

static int host_detect(const char *cgroup_file, CgroupHost **ret) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        _cleanup_free_ char *mountinfo = NULL, *self_cgroup = NULL;
        int r;

        r = cg_read_at(AT_FDCWD, "/proc/self/mountinfo", &mountinfo);
        if (r < 0)
                return r;
        r = cg_read_at(AT_FDCWD, cgroup_file, &self_cgroup);
        if (r < 0)
                return r;
        r = cgroup_host_parse(mountinfo, self_cgroup, &h);
        if (r < 0)
                return r;
        if (h->unified.mount) {
                r = read_unified_masks(h);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(h);
        return 0;
}

int cgroup_host_detect(CgroupHost **ret) {
        return host_detect("/proc/self/cgroup", ret);
}

int cgroup_host_detect_pid(pid_t pid, CgroupHost **ret) {
        char path[64];

        if (pid <= 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        return host_detect(path, ret);
}

static void hierarchy_done(CgroupHierarchy *hi) {
        free(hi->mount);
        free(hi->root);
        free(hi->own);
}

CgroupHost *cgroup_host_free(CgroupHost *h) {
        if (!h)
                return NULL;
        hierarchy_done(&h->unified);
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                hierarchy_done(&h->v1[c]);
        free(h);
        return NULL;
}

bool cgroup_host_has_v1(const CgroupHost *h, CgroupController c) {
        return c >= 0 && c < _CGROUP_CONTROLLER_MAX && h->v1[c].mount;
}
