/* Statistics into one CgroupStats for both drivers: what runc's `events --stats` and cadvisor read
 * (the GetStats of each controller in opencontainers/runc:vendor/github.com/opencontainers/cgroups/fs, the
 * stat functions of fs2). A file a controller does not have here leaves its fields at 0. */

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"

static void keyed(const char *text, const char *key, uint64_t *ret) {
        uint64_t v;

        if (cg_keyed_u64(text, key, &v) >= 0)
                *ret = v;
}

void cg_stats_memory_stat(const char *text, bool v1, CgroupStats *st) {
        /* v1's total_* count the whole subtree, as v2's memory.stat does */
        keyed(text, v1 ? "total_rss" : "anon", &st->memory.anon);
        keyed(text, v1 ? "total_cache" : "file", &st->memory.file);
        keyed(text, v1 ? "total_shmem" : "shmem", &st->memory.shmem);
        keyed(text, v1 ? "total_pgfault" : "pgfault", &st->memory.pgfault);
        keyed(text, v1 ? "total_pgmajfault" : "pgmajfault", &st->memory.pgmajfault);
        if (!v1)
                keyed(text, "kernel", &st->memory.kernel);
}

void cg_stats_cpu_stat(const char *text, CgroupStats *st) {
        uint64_t ns;

        /* v2: usage_usec user_usec system_usec nr_periods nr_throttled throttled_usec;
         * v1's cpu.stat: nr_periods nr_throttled throttled_time (ns) */
        keyed(text, "usage_usec", &st->cpu.usage_usec);
        keyed(text, "user_usec", &st->cpu.user_usec);
        keyed(text, "system_usec", &st->cpu.system_usec);
        keyed(text, "nr_periods", &st->cpu.nr_periods);
        keyed(text, "nr_throttled", &st->cpu.nr_throttled);
        keyed(text, "throttled_usec", &st->cpu.throttled_usec);
        if (cg_keyed_u64(text, "throttled_time", &ns) >= 0)
                st->cpu.throttled_usec = ns / 1000;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
void cg_stats_io_stat(const char *text, CgroupStats *st) {
        static const char *const keys[] = {"rbytes=", "wbytes=", "rios=", "wios="};
        uint64_t *fields[] = {&st->io.read_bytes, &st->io.write_bytes, &st->io.read_ios, &st->io.write_ios};

        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                const char *end = nl ? nl : p + strlen(p);

                for (const char *w = p; w < end;) {
                        size_t n = strcspn(w, " \n");

                        for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                                if (strncmp(w, keys[k], strlen(keys[k])) == 0)
                                        *fields[k] += strtoull(w + strlen(keys[k]), NULL, 10);
                        w += n + (w[n] == ' ');
                        if (n == 0)
                                break;
                }
                p = nl ? nl + 1 : NULL;
        }
}

/* The count after "MAJ:MIN OP " on a line that starts so, for OP "Read" or "Write". Not sscanf: it
 * would bring glibc's 36 kB scanf engine into tether-shim's resident text (shim/tether-shim.order). */
static bool blkio_line(const char *p, const char *op, unsigned long long *ret) {
        char *end;

        (void) strtoul(p, &end, 10);
        if (end == p || *end != ':')
                return false;
        p = end + 1;
        (void) strtoul(p, &end, 10);
        if (end == p || *end != ' ')
                return false;
        p = end + 1;
        if (strncmp(p, op, strlen(op)) != 0 || p[strlen(op)] != ' ')
                return false;
        p += strlen(op) + 1;
        *ret = strtoull(p, &end, 10);
        return end != p && (*end == '\n' || *end == '\0');
}

/* blkio.throttle.io_service_bytes_recursive and io_serviced_recursive: "MAJ:MIN Read N" lines. */
void cg_stats_blkio(const char *text, bool bytes, CgroupStats *st) {
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                unsigned long long v;

                if (blkio_line(p, "Read", &v))
                        *(bytes ? &st->io.read_bytes : &st->io.read_ios) += v;
                else if (blkio_line(p, "Write", &v))
                        *(bytes ? &st->io.write_bytes : &st->io.write_ios) += v;
                p = nl ? nl + 1 : NULL;
        }
}

static void read_u64(int dfd, const char *file, uint64_t *ret) {
        uint64_t v;

        if (dfd >= 0 && cg_read_u64_at(dfd, file, &v) >= 0)
                *ret = v;
}

static void read_text(int dfd, const char *file, char **ret) {
        *ret = NULL;
        if (dfd >= 0)
                (void) cg_read_at(dfd, file, ret);
}

/* hugetlb.<size>.<suffix> files, for each page size the group has. */
static void hugetlb(int dfd, bool v1, CgroupStats *st) {
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        struct dirent *de;

        if (dfd < 0)
                return;
        fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd)))
                return;
        fd = -EBADF;
        while ((de = readdir(d)) && st->n_hugetlb < CGROUP_STATS_HUGETLB_MAX) {
                const char *suffix = v1 ? ".usage_in_bytes" : ".current";
                size_t n = strlen(de->d_name), s = strlen(suffix);
                char file[128];

                if (strncmp(de->d_name, "hugetlb.", 8) != 0 || n <= 8 + s ||
                    strcmp(de->d_name + n - s, suffix) != 0 ||
                    n - s - 8 >= sizeof(st->hugetlb[0].page_size) || memchr(de->d_name + 8, '.', n - s - 8))
                        continue;
                memcpy(st->hugetlb[st->n_hugetlb].page_size, de->d_name + 8, n - s - 8);
                st->hugetlb[st->n_hugetlb].page_size[n - s - 8] = '\0';
                read_u64(dfd, de->d_name, &st->hugetlb[st->n_hugetlb].usage);
                snprintf(file,
                         sizeof(file),
                         "hugetlb.%s.%s",
                         st->hugetlb[st->n_hugetlb].page_size,
                         v1 ? "max_usage_in_bytes" : "max");
                if (v1)
                        read_u64(dfd, file, &st->hugetlb[st->n_hugetlb].peak);
                snprintf(file,
                         sizeof(file),
                         "hugetlb.%s.%s",
                         st->hugetlb[st->n_hugetlb].page_size,
                         v1 ? "failcnt" : "events");
                if (v1)
                        read_u64(dfd, file, &st->hugetlb[st->n_hugetlb].failcnt);
                else {
                        _cleanup_free_ char *ev = NULL;

                        read_text(dfd, file, &ev);
                        if (ev)
                                keyed(ev, "max", &st->hugetlb[st->n_hugetlb].failcnt);
                }
                st->n_hugetlb++;
        }
        closedir(d);
}

int cg_v1_stats(Cgroup *cg, CgroupStats *st) {
        int mem = cg->v1[CGROUP_CONTROLLER_MEMORY].fd, acct = cg->v1[CGROUP_CONTROLLER_CPUACCT].fd;
        _cleanup_free_ char *mstat = NULL, *oom = NULL, *cstat = NULL, *astat = NULL, *bytes = NULL,
                            *ios = NULL;
        uint64_t memsw = 0, ns = 0, ticks;
        long hz = sysconf(_SC_CLK_TCK);

        read_u64(mem, "memory.usage_in_bytes", &st->memory.usage);
        read_u64(mem, "memory.limit_in_bytes", &st->memory.limit);
        read_u64(mem, "memory.max_usage_in_bytes", &st->memory.peak);
        read_u64(mem, "memory.failcnt", &st->memory.failcnt);
        read_u64(mem, "memory.kmem.usage_in_bytes", &st->memory.kernel);
        read_u64(mem, "memory.memsw.usage_in_bytes", &memsw);
        st->memory.swap_usage = memsw > st->memory.usage ? memsw - st->memory.usage : 0;
        read_text(mem, "memory.stat", &mstat);
        if (mstat)
                cg_stats_memory_stat(mstat, true, st);
        read_text(mem, "memory.oom_control", &oom);
        if (oom)
                keyed(oom, "oom_kill", &st->memory.events_oom_kill);

        read_u64(acct, "cpuacct.usage", &ns);
        st->cpu.usage_usec = ns / 1000;
        read_text(acct, "cpuacct.stat", &astat); /* "user N\nsystem N" in USER_HZ ticks */
        if (astat && hz > 0) {
                if (cg_keyed_u64(astat, "user", &ticks) >= 0)
                        st->cpu.user_usec = ticks * (1000000 / (uint64_t) hz);
                if (cg_keyed_u64(astat, "system", &ticks) >= 0)
                        st->cpu.system_usec = ticks * (1000000 / (uint64_t) hz);
        }
        read_text(cg->v1[CGROUP_CONTROLLER_CPU].fd, "cpu.stat", &cstat);
        if (cstat)
                cg_stats_cpu_stat(cstat, st);

        read_u64(cg->v1[CGROUP_CONTROLLER_PIDS].fd, "pids.current", &st->pids.current);
        read_u64(cg->v1[CGROUP_CONTROLLER_PIDS].fd, "pids.max", &st->pids.limit);

        read_text(cg->v1[CGROUP_CONTROLLER_BLKIO].fd, "blkio.throttle.io_service_bytes_recursive", &bytes);
        if (bytes)
                cg_stats_blkio(bytes, true, st);
        read_text(cg->v1[CGROUP_CONTROLLER_BLKIO].fd, "blkio.throttle.io_serviced_recursive", &ios);
        if (ios)
                cg_stats_blkio(ios, false, st);
        hugetlb(cg->v1[CGROUP_CONTROLLER_HUGETLB].fd, true, st);
        return 0;
}

int cg_v2_stats(Cgroup *cg, CgroupStats *st) {
        int fd = cg->unified.fd;
        _cleanup_free_ char *mstat = NULL, *events = NULL, *cstat = NULL, *io = NULL;

        if (fd < 0)
                return cg_fail(cg, -EBADF, "group %s is not open", cg->unified.path);
        read_u64(fd, "memory.current", &st->memory.usage);
        read_u64(fd, "memory.max", &st->memory.limit);
        read_u64(fd, "memory.peak", &st->memory.peak);
        read_u64(fd, "memory.swap.current", &st->memory.swap_usage);
        read_text(fd, "memory.stat", &mstat);
        if (mstat)
                cg_stats_memory_stat(mstat, false, st);
        read_text(fd, "memory.events", &events);
        if (events) {
                keyed(events, "high", &st->memory.events_high);
                keyed(events, "max", &st->memory.events_max);
                keyed(events, "oom", &st->memory.events_oom);
                keyed(events, "oom_kill", &st->memory.events_oom_kill);
        }
        read_text(fd, "cpu.stat", &cstat); /* core: usage is there without the cpu controller */
        if (cstat)
                cg_stats_cpu_stat(cstat, st);
        read_u64(fd, "pids.current", &st->pids.current);
        read_u64(fd, "pids.max", &st->pids.limit);
        read_text(fd, "io.stat", &io);
        if (io)
                cg_stats_io_stat(io, st);
        hugetlb(fd, false, st);
        return 0;
}
