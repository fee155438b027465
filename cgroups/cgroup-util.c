/* File helpers for cgroup directories: read, write, create, remove. */

#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-internal.h"

int cg_fail(Cgroup *cg, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(cg->what, sizeof(cg->what), fmt, ap);
        va_end(ap);
        return r;
}

int cg_write_fd(int fd, const char *value) {
        size_t len = strlen(value);
        ssize_t n;

        /* cgroup files take a value per write(): never split one. */
        n = RETRY_ON_EINTR(write(fd, value, len));
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

int cg_write_at(int dfd, const char *file, const char *value) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        return cg_write_fd(fd, value);
}

int cg_read_at(int dfd, const char *file, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 4096, len = 0;

        fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len + 1 >= size) {
                        char *p;

                        if (size > 64U << 20)
                                return -EFBIG;
                        p = realloc(buf, size * 2);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        size *= 2;
                }
                n = RETRY_ON_EINTR(read(fd, buf + len, size - len - 1));
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        uint64_t v;

        if (strncmp(s, "max", 3) == 0 && (s[3] == '\0' || s[3] == '\n')) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -errno;
        if (*end != '\0' && *end != '\n' && *end != ' ')
                return -EINVAL;
        *ret = v;
        return 0;
}

int cg_read_u64_at(int dfd, const char *file, uint64_t *ret) {
        _cleanup_free_ char *buf = NULL;
        int r;

        r = cg_read_at(dfd, file, &buf);
        if (r < 0)
                return r;
        return parse_u64(buf, ret);
}

int cg_keyed_u64(const char *text, const char *key, uint64_t *ret) {
        size_t klen = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
                        return parse_u64(p + klen + 1, ret);
        return -ENOENT;
}

static bool controller_in_list(const char *list, size_t len, const char *controller) {
        size_t clen = strlen(controller);

        for (const char *p = list; p < list + len;) {
                const char *comma = memchr(p, ',', (size_t) (list + len - p));
                size_t n = comma ? (size_t) (comma - p) : (size_t) (list + len - p);

                if (n == clen && memcmp(p, controller, n) == 0)
                        return true;
                p += n + 1;
        }
        return false;
}

bool cg_proc_cgroup_in(const char *content, const char *controller, const char *rel) {
        /* Lines are "ID:CONTROLLERS:PATH", "0::PATH" for the unified hierarchy. */
        for (const char *line = content; line && *line;) {
                const char *nl = strchr(line, '\n');
                const char *end = nl ? nl : line + strlen(line);
                const char *c1 = memchr(line, ':', (size_t) (end - line)), *c2;

                if (c1 && (c2 = memchr(c1 + 1, ':', (size_t) (end - c1 - 1)))) {
                        bool match = controller
                                             ? controller_in_list(c1 + 1, (size_t) (c2 - c1 - 1), controller)
                                             : c2 == c1 + 1 && line[0] == '0' && c1 == line + 1;
                        size_t rlen = strlen(rel);

                        if (match)
                                return (size_t) (end - c2 - 1) == rlen && memcmp(c2 + 1, rel, rlen) == 0;
                }
                line = nl ? nl + 1 : NULL;
        }
        return false;
}

int cg_dir_open(CgroupDir *dir) {
        int fd;

        fd = open(dir->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        safe_close(dir->fd);
        dir->fd = fd;
        return 0;
}

int cg_dir_create(CgroupDir *dir, const char *mount) {
        _cleanup_free_ char *p = NULL;
        size_t mlen = strlen(mount);
        int r;

        /* The group itself first: its parents are there in every run but a parent's first, and each
         * mkdir() that finds one costs a path walk. */
        if (mkdir(dir->path, 0755) >= 0) {
                dir->created_top = strdup(dir->path);
                if (!dir->created_top) {
                        (void) rmdir(dir->path);
                        return -ENOMEM;
                }
                return cg_dir_open(dir);
        }
        if (errno == EEXIST)
                return -EEXIST;
        if (errno != ENOENT)
                return -errno;
        p = strdup(dir->path);
        if (!p)
                return -ENOMEM;
        /* Component by component below the mount, so that we know the first directory we made: a rollback
         * removes exactly those, never a parent that was there before. */
        for (char *slash = p + mlen; slash;) {
                slash = strchr(slash + 1, '/');
                if (slash)
                        *slash = '\0';
                if (mkdir(p, 0755) < 0) {
                        if (errno != EEXIST)
                                return -errno;
                        if (!slash)
                                return -EEXIST;
                } else if (!dir->created_top) {
                        dir->created_top = strdup(p);
                        if (!dir->created_top)
                                return -ENOMEM;
                }
                if (slash)
                        *slash = '/';
        }
        r = cg_dir_open(dir);
        return r;
}

void cg_dir_done(CgroupDir *dir) {
        free(dir->rel);
        free(dir->path);
        free(dir->created_top);
        dir->rel = dir->path = dir->created_top = NULL;
        dir->fd = safe_close(dir->fd);
}

static int rmdir_retry(const char *path) {
        /* EBUSY while the last tasks finish exiting (a task leaves the group in do_exit(), slightly after
         * its pidfd polls readable); bounded, the callers have killed and waited for everything. */
        for (unsigned i = 0; i < 10000; i++) {
                if (rmdir(path) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return -errno;
                sched_yield();
        }
        return -EBUSY;
}

int cg_dir_remove(CgroupDir *dir, bool rollback) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (!dir->path)
                return 0;
        dir->fd = safe_close(dir->fd);
        r = rmdir_retry(dir->path);
        if (r < 0 || !rollback || !dir->created_top)
                return r;
        p = strdup(dir->path);
        if (!p)
                return -ENOMEM;
        /* The parents we made, up to the topmost, now empty but for other users' groups: stop there. */
        while (strcmp(p, dir->created_top) != 0) {
                char *slash = strrchr(p, '/');

                if (!slash || slash == p)
                        break;
                *slash = '\0';
                if (rmdir(p) < 0 && errno != ENOENT)
                        return errno == EBUSY || errno == ENOTEMPTY ? 0 : -errno;
        }
        return 0;
}

int cg_attach_at(int dfd, pid_t pid) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%d", (int) pid);
        return cg_write_at(dfd, "cgroup.procs", buf);
}

int cg_enter_at(const CgroupDir *dir, const char *file, const char **reterr_path) {
        int r;

        r = cg_write_at(dir->fd, file, "0");
        if (r < 0 && reterr_path)
                *reterr_path = dir->path;
        return r;
}

int cg_procs_count(int dfd, size_t *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        r = cg_read_at(dfd, "cgroup.procs", &buf);
        if (r < 0)
                return r;
        for (const char *p = buf; *p; p++)
                n += *p == '\n';
        *ret = n;
        return 0;
}

/* The controller each part of res needs. */
unsigned cg_resources_needed(const CgroupResources *r) {
        unsigned m = 0;

        if (r->has_memory_limit || r->has_memory_reservation || r->has_memory_swap || r->has_memory_kernel ||
            r->has_memory_kernel_tcp || r->has_memory_swappiness || r->memory_disable_oom_killer)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_MEMORY);
        if (r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->has_cpu_burst ||
            r->has_cpu_realtime_runtime || r->has_cpu_realtime_period || r->has_cpu_idle)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_CPU);
        if (r->cpu_cpus || r->cpu_mems)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_CPUSET);
        if (r->has_pids_limit)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_PIDS);
        if (r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_blkio_weight_devices)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_BLKIO);
        for (CgroupThrottle t = 0; t < _CGROUP_THROTTLE_MAX; t++)
                if (r->n_blkio_throttle[t])
                        m |= CGROUP_MASK(CGROUP_CONTROLLER_BLKIO);
        if (r->n_hugepage_limits)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_HUGETLB);
        if (r->has_network_class_id)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_NET_CLS);
        if (r->n_network_priorities)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_NET_PRIO);
        if (r->n_rdma)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_RDMA);
        if (r->has_devices)
                m |= CGROUP_MASK(CGROUP_CONTROLLER_DEVICES);
        return m;
}
