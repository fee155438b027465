/* Checks of linux.resources before anything touches the host: ranges, lists and names. Pure. A failure
 * names the field as OCI's config-linux.md spells it. */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "macro.h"

typedef struct Check {
        char *buf;
        size_t size;
        const char **reterr_what;
} Check;

_printf_(3, 4) static int fail(Check *k, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(k->buf, k->size, fmt, ap);
        va_end(ap);
        *k->reterr_what = k->buf;
        return r;
}

static int limit(Check *k, bool has, int64_t v, const char *field) {
        if (has && v < -1)
                return fail(k, -ERANGE, "%s: %" PRIi64 " is negative (only -1, unlimited, is)", field, v);
        return 0;
}

/* "0-3,7": numbers and ranges, as cpuset.cpus and cpuset.mems take them. */
static bool list_is_valid(const char *s) {
        for (;;) {
                unsigned long first = 0, last = 0;
                size_t digits = 0;

                for (; *s >= '0' && *s <= '9'; s++, digits++)
                        first = first * 10 + (unsigned long) (*s - '0');
                if (digits == 0 || digits > 6)
                        return false;
                if (*s == '-') {
                        for (digits = 0, s++; *s >= '0' && *s <= '9'; s++, digits++)
                                last = last * 10 + (unsigned long) (*s - '0');
                        if (digits == 0 || digits > 6 || last < first)
                                return false;
                }
                if (*s == '\0')
                        return true;
                if (*s++ != ',')
                        return false;
        }
}

/* A name that goes into a file as a word: no separators, no path. */
static bool word_is_valid(const char *s, size_t max) {
        size_t n = s ? strlen(s) : 0;

        return n > 0 && n <= max && strcspn(s, " \t\n/:=") == n;
}

static int check_memory(Check *k, const CgroupResources *r) {
        int q;

        if ((q = limit(k, r->has_memory_limit, r->memory_limit, "memory.limit")) < 0 ||
            (q = limit(k, r->has_memory_reservation, r->memory_reservation, "memory.reservation")) < 0 ||
            (q = limit(k, r->has_memory_swap, r->memory_swap, "memory.swap")) < 0 ||
            (q = limit(k, r->has_memory_kernel, r->memory_kernel, "memory.kernel")) < 0 ||
            (q = limit(k, r->has_memory_kernel_tcp, r->memory_kernel_tcp, "memory.kernelTCP")) < 0)
                return q;
        if (r->has_memory_swap && r->has_memory_limit && r->memory_swap > 0 && r->memory_limit > 0 &&
            r->memory_swap < r->memory_limit)
                return fail(k,
                            -ERANGE,
                            "memory.swap: %" PRIi64 " is below memory.limit %" PRIi64
                            " (it counts memory and swap)",
                            r->memory_swap,
                            r->memory_limit);
        if (r->has_memory_swappiness && r->memory_swappiness > 100)
                return fail(k, -ERANGE, "memory.swappiness: %" PRIu64 " is above 100", r->memory_swappiness);
        return 0;
}

static int check_cpu(Check *k, const CgroupResources *r) {
        int q;

        if (r->has_cpu_shares && (r->cpu_shares < 2 || r->cpu_shares > 262144))
                return fail(k, -ERANGE, "cpu.shares: %" PRIu64 " is outside [2, 262144]", r->cpu_shares);
        if ((q = limit(k, r->has_cpu_quota, r->cpu_quota, "cpu.quota")) < 0 ||
            (q = limit(k, r->has_cpu_realtime_runtime, r->cpu_realtime_runtime, "cpu.realtimeRuntime")) < 0)
                return q;
        /* the kernel's bounds of cfs_period_us (kernel/sched/core.c min_cfs_quota_period,
         * max_cfs_quota_period) */
        if (r->has_cpu_period && r->cpu_period != 0 && (r->cpu_period < 1000 || r->cpu_period > 1000000))
                return fail(
                        k, -ERANGE, "cpu.period: %" PRIu64 " is outside [1000, 1000000] µs", r->cpu_period);
        if (r->has_cpu_idle && r->cpu_idle != 0 && r->cpu_idle != 1)
                return fail(k, -ERANGE, "cpu.idle: %" PRIi64 " is neither 0 nor 1", r->cpu_idle);
        if (r->cpu_cpus && !list_is_valid(r->cpu_cpus))
                return fail(k, -EINVAL, "cpu.cpus: '%.64s' is not a list such as 0-3,7", r->cpu_cpus);
        if (r->cpu_mems && !list_is_valid(r->cpu_mems))
                return fail(k, -EINVAL, "cpu.mems: '%.64s' is not a list such as 0-1", r->cpu_mems);
        return 0;
}

static int check_blkio(Check *k, const CgroupResources *r) {
        static const char *const throttle_names[_CGROUP_THROTTLE_MAX] = {
                "throttleReadBpsDevice",
                "throttleWriteBpsDevice",
                "throttleReadIOPSDevice",
                "throttleWriteIOPSDevice",
        };

        if (r->has_blkio_weight && (r->blkio_weight < 10 || r->blkio_weight > 1000))
                return fail(k, -ERANGE, "blockIO.weight: %u is outside [10, 1000]", r->blkio_weight);
        if (r->has_blkio_leaf_weight && (r->blkio_leaf_weight < 10 || r->blkio_leaf_weight > 1000))
                return fail(
                        k, -ERANGE, "blockIO.leafWeight: %u is outside [10, 1000]", r->blkio_leaf_weight);
        for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
                const CgroupWeightDevice *d = &r->blkio_weight_devices[i];

                if (d->major < 0 || d->minor < 0)
                        return fail(k, -EINVAL, "blockIO.weightDevice[%zu]: negative major or minor", i);
                if ((d->has_weight && (d->weight < 10 || d->weight > 1000)) ||
                    (d->has_leaf_weight && (d->leaf_weight < 10 || d->leaf_weight > 1000)))
                        return fail(k, -ERANGE, "blockIO.weightDevice[%zu]: weight outside [10, 1000]", i);
        }
        for (CgroupThrottle t = 0; t < _CGROUP_THROTTLE_MAX; t++)
                for (size_t i = 0; i < r->n_blkio_throttle[t]; i++)
                        if (r->blkio_throttle[t][i].major < 0 || r->blkio_throttle[t][i].minor < 0)
                                return fail(k,
                                            -EINVAL,
                                            "blockIO.%s[%zu]: negative major or minor",
                                            throttle_names[t],
                                            i);
        return 0;
}

/* "2MB", "1GB", "64KB": hugetlb's file names (hugetlb.2MB.limit_in_bytes). */
static bool page_size_is_valid(const char *s) {
        size_t digits = s ? strspn(s, "0123456789") : 0;

        return digits > 0 && digits < 6 && s[0] != '0' &&
               (strcmp(s + digits, "KB") == 0 || strcmp(s + digits, "MB") == 0 ||
                strcmp(s + digits, "GB") == 0);
}

/* unified keys are file names in the container's group: no path, and only files of a controller (the v2
 * driver checks that it is enabled); of the core "cgroup." files only the two limits, never procs, kill,
 * freeze, type or subtree_control, which would move, kill or reshape. */
static int check_unified_key(Check *k, const char *key) {
        const char *dot;

        if (!key || !*key)
                return fail(k, -EINVAL, "unified: empty key");
        if (strchr(key, '/') || strstr(key, ".."))
                return fail(
                        k, -EINVAL, "unified: key '%.64s' must be a file name, without '/' or '..'", key);
        dot = strchr(key, '.');
        if (!dot || dot == key || !dot[1])
                return fail(k, -EINVAL, "unified: key '%.64s' is no controller file (CONTROLLER.NAME)", key);
        if (strncmp(key, "cgroup.", 7) == 0) {
                if (strcmp(key, "cgroup.max.depth") == 0 || strcmp(key, "cgroup.max.descendants") == 0)
                        return 0;
                return fail(k, -EPERM, "unified: key '%.64s' is a core file that may not be set", key);
        }
        {
                char name[16];
                size_t n = (size_t) (dot - key);
                CgroupController c;

                if (n >= sizeof(name))
                        return fail(k, -EINVAL, "unified: key '%.64s' names no known controller", key);
                memcpy(name, key, n);
                name[n] = '\0';
                c = cgroup_controller_from_string(name);
                if (c < 0 || !cgroup_controller_to_v2_string(c) ||
                    strcmp(cgroup_controller_to_v2_string(c), name) != 0)
                        return fail(k, -EINVAL, "unified: key '%.64s' names no known controller", key);
        }
        return 0;
}

static int check_device(Check *k, size_t i, const CgroupDeviceRule *d) {
        size_t n = d->access ? strlen(d->access) : 0;

        if (d->type != 'a' && d->type != 'c' && d->type != 'b')
                return fail(k,
                            -EINVAL,
                            "devices[%zu].type: '%c' is none of a, c, b",
                            i,
                            d->type ? d->type : '?');
        if (d->major < -1 || d->minor < -1)
                return fail(k, -EINVAL, "devices[%zu]: negative major or minor", i);
        if (n == 0 || n > 3 || strspn(d->access, "rwm") != n || (n > 1 && d->access[0] == d->access[1]) ||
            (n > 2 && (d->access[0] == d->access[2] || d->access[1] == d->access[2])))
                return fail(k,
                            -EINVAL,
                            "devices[%zu].access: '%.8s' is not a subset of rwm",
                            i,
                            d->access ? d->access : "");
        return 0;
}

static int check_named(Check *k, const CgroupResources *r) {
        int q;

        for (size_t i = 0; i < r->n_hugepage_limits; i++)
                if (!page_size_is_valid(r->hugepage_limits[i].page_size))
                        return fail(k,
                                    -EINVAL,
                                    "hugepageLimits[%zu].pageSize: '%.32s' is no size such as 2MB",
                                    i,
                                    r->hugepage_limits[i].page_size ? r->hugepage_limits[i].page_size : "");
        for (size_t i = 0; i < r->n_network_priorities; i++)
                if (!word_is_valid(r->network_priorities[i].interface, 15))
                        return fail(k, -EINVAL, "network.priorities[%zu].name: not an interface name", i);
        for (size_t i = 0; i < r->n_rdma; i++)
                if (!word_is_valid(r->rdma[i].device, 64))
                        return fail(k,
                                    -EINVAL,
                                    "rdma: '%.64s' is not a device name",
                                    r->rdma[i].device ? r->rdma[i].device : "");
        for (size_t i = 0; i < r->n_unified; i++) {
                q = check_unified_key(k, r->unified[i].key);
                if (q < 0)
                        return q;
                if (!r->unified[i].value)
                        return fail(k, -EINVAL, "unified: key '%.64s' has no value", r->unified[i].key);
        }
        for (size_t i = 0; i < r->n_devices; i++) {
                q = check_device(k, i, &r->devices[i]);
                if (q < 0)
                        return q;
        }
        return 0;
}

int cgroup_resources_check(const CgroupResources *res,
                           char *buf,
                           size_t buf_size,
                           const char **reterr_what) {
        Check k = {buf, buf_size, reterr_what};
        int r;

        if ((r = check_memory(&k, res)) < 0 || (r = check_cpu(&k, res)) < 0 ||
            (r = limit(&k, res->has_pids_limit, res->pids_limit, "pids.limit")) < 0 ||
            (r = check_blkio(&k, res)) < 0)
                return r;
        return check_named(&k, res);
}
