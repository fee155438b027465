/* linux.resources on cgroup v2, converted where v2 counts otherwise (cgroup-resources-convert.c), as
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/fs2/{memory,cpu,cpuset,pids,io,hugetlb}.go
 * and containers/crun:src/libcrun/cgroup-resources.c update_cgroup_v2_resources write them; the
 * `unified` keys last, so that they win (crun's order). */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"

static int put(Cgroup *cg, const char *file, const char *value) {
        int r;

        r = cg_write_at(cg->unified.fd, file, value);
        if (r < 0)
                return cg_fail(cg, r, "%s in %s (value '%.64s')", file, cg->unified.path, value);
        return 0;
}

static int memory(Cgroup *cg, const CgroupResources *r) {
        char buf[32];
        int64_t swap;
        int q;

        if (r->has_memory_swap) {
                /* memory+swap to swap alone; without a limit in res, the group's current one counts */
                int64_t mem = r->has_memory_limit ? r->memory_limit : 0;

                if (!r->has_memory_limit) {
                        uint64_t cur;

                        if (cg_read_u64_at(cg->unified.fd, "memory.max", &cur) >= 0)
                                mem = cur == UINT64_MAX ? -1 : (int64_t) cur;
                }
                q = cgroup_memory_swap_to_v2(r->memory_swap, mem, &swap);
                if (q < 0)
                        return cg_fail(cg,
                                       q,
                                       "memory.swap: %" PRIi64
                                       " cannot be converted against memory.limit %" PRIi64,
                                       r->memory_swap,
                                       mem);
        }
        if (r->has_memory_limit &&
            (q = put(cg, "memory.max", cgroup_format_limit(r->memory_limit, buf, sizeof(buf)))) < 0)
                return q;
        if (r->has_memory_swap &&
            (q = put(cg, "memory.swap.max", cgroup_format_limit(swap, buf, sizeof(buf)))) < 0)
                return q;
        if (r->has_memory_reservation &&
            (q = put(cg, "memory.low", cgroup_format_limit(r->memory_reservation, buf, sizeof(buf)))) < 0)
                return q;
        return 0;
}

static int cpu(Cgroup *cg, const CgroupResources *r) {
        char buf[64];
        int q;

        if (r->has_cpu_shares) {
                snprintf(buf, sizeof(buf), "%" PRIu64, cgroup_cpu_shares_to_weight(r->cpu_shares));
                if ((q = put(cg, "cpu.weight", buf)) < 0)
                        return q;
        }
        if (r->has_cpu_idle) {
                snprintf(buf, sizeof(buf), "%" PRIi64, r->cpu_idle);
                if ((q = put(cg, "cpu.idle", buf)) < 0)
                        return q;
        }
        if ((r->has_cpu_quota && r->cpu_quota != 0) || (r->has_cpu_period && r->cpu_period != 0)) {
                _cleanup_free_ char *current = NULL;
                uint64_t period = r->has_cpu_period ? r->cpu_period : 0;

                /* a period alone keeps the quota: read it (cgroup_format_cpu_max()) */
                if (!(r->has_cpu_quota && r->cpu_quota != 0) &&
                    (q = cg_read_at(cg->unified.fd, "cpu.max", &current)) < 0)
                        return cg_fail(cg, q, "cpu.max in %s", cg->unified.path);
                q = cgroup_format_cpu_max(r->has_cpu_quota, r->cpu_quota, period, current, buf, sizeof(buf));
                if (q < 0)
                        return cg_fail(
                                cg, q, "cpu.max in %s (now '%.32s')", cg->unified.path, current ?: "");
                if ((q = put(cg, "cpu.max", buf)) < 0)
                        return q;
        }
        if (r->has_cpu_burst) {
                snprintf(buf, sizeof(buf), "%" PRIu64, r->cpu_burst);
                if ((q = put(cg, "cpu.max.burst", buf)) < 0)
                        return q;
        }
        if (r->cpu_cpus && (q = put(cg, "cpuset.cpus", r->cpu_cpus)) < 0)
                return q;
        if (r->cpu_mems && (q = put(cg, "cpuset.mems", r->cpu_mems)) < 0)
                return q;
        return 0;
}

/* BFQ's io.bfq.weight takes blkio's own range; else io.weight, converted (runc's fs2/io.go). */
static int io(Cgroup *cg, const CgroupResources *r) {
        static const char *const keys[_CGROUP_THROTTLE_MAX] = {"rbps", "wbps", "riops", "wiops"};
        bool bfq = faccessat(cg->unified.fd, "io.bfq.weight", W_OK, 0) >= 0;
        char buf[96];
        int q;

        if (r->has_blkio_weight) {
                snprintf(buf,
                         sizeof(buf),
                         "%" PRIu64,
                         bfq ? (uint64_t) r->blkio_weight
                             : cgroup_blkio_weight_to_io_weight(r->blkio_weight));
                if ((q = put(cg, bfq ? "io.bfq.weight" : "io.weight", buf)) < 0)
                        return q;
        }
        for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
                const CgroupWeightDevice *d = &r->blkio_weight_devices[i];

                if (!d->has_weight)
                        continue;
                snprintf(buf,
                         sizeof(buf),
                         "%" PRIi64 ":%" PRIi64 " %" PRIu64,
                         d->major,
                         d->minor,
                         bfq ? (uint64_t) d->weight : cgroup_blkio_weight_to_io_weight(d->weight));
                if ((q = put(cg, bfq ? "io.bfq.weight" : "io.weight", buf)) < 0)
                        return q;
        }
        for (CgroupThrottle t = 0; t < _CGROUP_THROTTLE_MAX; t++)
                for (size_t i = 0; i < r->n_blkio_throttle[t]; i++) {
                        const CgroupThrottleDevice *d = &r->blkio_throttle[t][i];

                        /* 0 is "no limit" in OCI's throttles, "max" in io.max */
                        if (d->rate == 0)
                                snprintf(buf,
                                         sizeof(buf),
                                         "%" PRIi64 ":%" PRIi64 " %s=max",
                                         d->major,
                                         d->minor,
                                         keys[t]);
                        else
                                snprintf(buf,
                                         sizeof(buf),
                                         "%" PRIi64 ":%" PRIi64 " %s=%" PRIu64,
                                         d->major,
                                         d->minor,
                                         keys[t],
                                         d->rate);
                        if ((q = put(cg, "io.max", buf)) < 0)
                                return q;
                }
        return 0;
}

static int others(Cgroup *cg, const CgroupResources *r) {
        char file[64], buf[128];
        int q;

        if (r->has_pids_limit &&
            (q = put(cg, "pids.max", cgroup_format_limit(r->pids_limit, buf, sizeof(buf)))) < 0)
                return q;
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                snprintf(file, sizeof(file), "hugetlb.%s.max", r->hugepage_limits[i].page_size);
                snprintf(buf, sizeof(buf), "%" PRIu64, r->hugepage_limits[i].limit);
                if ((q = put(cg, file, buf)) < 0)
                        return q;
        }
        for (size_t i = 0; i < r->n_rdma; i++) {
                const CgroupRdmaLimit *l = &r->rdma[i];
                char handles[32] = "", objects[32] = "";

                if (!l->has_hca_handles && !l->has_hca_objects)
                        continue;
                if (l->has_hca_handles)
                        snprintf(handles, sizeof(handles), " hca_handle=%" PRIu32, l->hca_handles);
                if (l->has_hca_objects)
                        snprintf(objects, sizeof(objects), " hca_object=%" PRIu32, l->hca_objects);
                snprintf(buf, sizeof(buf), "%s%s%s", l->device, handles, objects);
                if ((q = put(cg, "rdma.max", buf)) < 0)
                        return q;
        }
        return 0;
}

/* Names were checked (cgroup-resources-check.c: no '/', no '..', a known controller's file) and the
 * controller found enabled (cgroup-v2.c); a file the controller lacks fails here, naming the key. */
static int unified(Cgroup *cg, const CgroupResources *r) {
        for (size_t i = 0; i < r->n_unified; i++) {
                int q = cg_write_at(cg->unified.fd, r->unified[i].key, r->unified[i].value);

                if (q == -ENOENT)
                        return cg_fail(cg,
                                       -EINVAL,
                                       "unified: key '%.64s': no such file in %s",
                                       r->unified[i].key,
                                       cg->unified.path);
                if (q < 0)
                        return cg_fail(cg,
                                       q,
                                       "unified: key '%.64s' in %s (value '%.64s')",
                                       r->unified[i].key,
                                       cg->unified.path,
                                       r->unified[i].value);
        }
        return 0;
}

int cg_v2_apply(Cgroup *cg, const CgroupResources *res) {
        int r;

        if ((r = memory(cg, res)) < 0 || (r = cpu(cg, res)) < 0 || (r = io(cg, res)) < 0 ||
            (r = others(cg, res)) < 0 || (r = cg_v2_devices(cg, res)) < 0)
                return r;
        return unified(cg, res);
}
