/* linux.resources on cgroup v1: a file per setting in each controller's group, as
 * containers/crun:src/libcrun/cgroup-resources.c update_cgroup_v1_resources and
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/fs/{memory,cpu,cpuset,pids,blkio,hugetlb,
 * net_cls,net_prio,rdma}.go write them. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"

static int put(Cgroup *cg, CgroupController c, const char *file, const char *value) {
        int r;

        r = cg_write_at(cg->v1[c].fd, file, value);
        if (r < 0)
                return cg_fail(cg, r, "%s in %s (value '%.64s')", file, cg->v1[c].path, value);
        return 0;
}

static int put_i64(Cgroup *cg, CgroupController c, const char *file, int64_t v) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIi64, v);
        return put(cg, c, file, buf);
}

static int put_u64(Cgroup *cg, CgroupController c, const char *file, uint64_t v) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        return put(cg, c, file, buf);
}

static int memory(Cgroup *cg, const CgroupResources *r) {
        const CgroupController M = CGROUP_CONTROLLER_MEMORY;
        bool limit_done = false;
        int q;

        /* memsw must stay >= the limit at every step: when the new limit is above the old memsw, the kernel
         * refuses it (EINVAL) until memsw is raised; then write the limit again (crun's
         * write_memory_resources does the same dance). */
        if (r->has_memory_limit) {
                q = put_i64(cg, M, "memory.limit_in_bytes", r->memory_limit);
                if (q < 0 && q != -EINVAL)
                        return q;
                limit_done = q >= 0;
        }
        if (r->has_memory_swap && (q = put_i64(cg, M, "memory.memsw.limit_in_bytes", r->memory_swap)) < 0)
                return q;
        if (r->has_memory_limit && !limit_done &&
            (q = put_i64(cg, M, "memory.limit_in_bytes", r->memory_limit)) < 0)
                return q;
        if (r->has_memory_reservation &&
            (q = put_i64(cg, M, "memory.soft_limit_in_bytes", r->memory_reservation)) < 0)
                return q;
        if (r->has_memory_kernel && (q = put_i64(cg, M, "memory.kmem.limit_in_bytes", r->memory_kernel)) < 0)
                return q;
        if (r->has_memory_kernel_tcp &&
            (q = put_i64(cg, M, "memory.kmem.tcp.limit_in_bytes", r->memory_kernel_tcp)) < 0)
                return q;
        if (r->has_memory_swappiness && (q = put_u64(cg, M, "memory.swappiness", r->memory_swappiness)) < 0)
                return q;
        if (r->memory_disable_oom_killer && (q = put(cg, M, "memory.oom_control", "1")) < 0)
                return q;
        return 0;
}

static int cpu(Cgroup *cg, const CgroupResources *r) {
        const CgroupController C = CGROUP_CONTROLLER_CPU;
        bool period_later = false;
        int q;

        if (r->has_cpu_shares && (q = put_u64(cg, C, "cpu.shares", r->cpu_shares)) < 0)
                return q;
        /* A shorter period may be refused (EINVAL) while the old quota would exceed the parent's: set the
         * quota first then (crun's write_cpu_resources). */
        if (r->has_cpu_period && r->cpu_period != 0) {
                q = put_u64(cg, C, "cpu.cfs_period_us", r->cpu_period);
                if (q < 0 && (q != -EINVAL || !r->has_cpu_quota))
                        return q;
                period_later = q < 0;
        }
        if (r->has_cpu_quota && r->cpu_quota != 0 &&
            (q = put_i64(cg, C, "cpu.cfs_quota_us", r->cpu_quota)) < 0)
                return q;
        if (period_later && (q = put_u64(cg, C, "cpu.cfs_period_us", r->cpu_period)) < 0)
                return q;
        if (r->has_cpu_burst && (q = put_u64(cg, C, "cpu.cfs_burst_us", r->cpu_burst)) < 0)
                return q;
        if (r->has_cpu_realtime_period &&
            (q = put_u64(cg, C, "cpu.rt_period_us", r->cpu_realtime_period)) < 0)
                return q;
        if (r->has_cpu_realtime_runtime &&
            (q = put_i64(cg, C, "cpu.rt_runtime_us", r->cpu_realtime_runtime)) < 0)
                return q;
        if (r->has_cpu_idle && (q = put_i64(cg, C, "cpu.idle", r->cpu_idle)) < 0)
                return q;
        return 0;
}

static int cpuset(Cgroup *cg, const CgroupResources *r) {
        int q;

        if (r->cpu_cpus && (q = put(cg, CGROUP_CONTROLLER_CPUSET, "cpuset.cpus", r->cpu_cpus)) < 0)
                return q;
        if (r->cpu_mems && (q = put(cg, CGROUP_CONTROLLER_CPUSET, "cpuset.mems", r->cpu_mems)) < 0)
                return q;
        return 0;
}

static int blkio(Cgroup *cg, const CgroupResources *r) {
        static const char *const throttle_files[_CGROUP_THROTTLE_MAX] = {
                "blkio.throttle.read_bps_device",
                "blkio.throttle.write_bps_device",
                "blkio.throttle.read_iops_device",
                "blkio.throttle.write_iops_device",
        };
        const CgroupController B = CGROUP_CONTROLLER_BLKIO;
        char buf[96];
        int q;

        if (r->has_blkio_weight && (q = put_u64(cg, B, "blkio.weight", r->blkio_weight)) < 0)
                return q;
        if (r->has_blkio_leaf_weight && (q = put_u64(cg, B, "blkio.leaf_weight", r->blkio_leaf_weight)) < 0)
                return q;
        for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
                const CgroupWeightDevice *d = &r->blkio_weight_devices[i];

                snprintf(buf, sizeof(buf), "%" PRIi64 ":%" PRIi64 " %u", d->major, d->minor, d->weight);
                if (d->has_weight && (q = put(cg, B, "blkio.weight_device", buf)) < 0)
                        return q;
                snprintf(buf, sizeof(buf), "%" PRIi64 ":%" PRIi64 " %u", d->major, d->minor, d->leaf_weight);
                if (d->has_leaf_weight && (q = put(cg, B, "blkio.leaf_weight_device", buf)) < 0)
                        return q;
        }
        for (CgroupThrottle t = 0; t < _CGROUP_THROTTLE_MAX; t++)
                for (size_t i = 0; i < r->n_blkio_throttle[t]; i++) {
                        const CgroupThrottleDevice *d = &r->blkio_throttle[t][i];

                        snprintf(buf,
                                 sizeof(buf),
                                 "%" PRIi64 ":%" PRIi64 " %" PRIu64,
                                 d->major,
                                 d->minor,
                                 d->rate);
                        q = put(cg, B, throttle_files[t], buf);
                        if (q < 0)
                                return q;
                }
        return 0;
}

static int others(Cgroup *cg, const CgroupResources *r) {
        char file[64], buf[128];
        int q;

        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
                q = put_u64(cg, CGROUP_CONTROLLER_HUGETLB, file, r->hugepage_limits[i].limit);
                if (q < 0)
                        return q;
        }
        if (r->has_network_class_id &&
            (q = put_u64(cg, CGROUP_CONTROLLER_NET_CLS, "net_cls.classid", r->network_class_id)) < 0)
                return q;
        for (size_t i = 0; i < r->n_network_priorities; i++) {
                snprintf(buf,
                         sizeof(buf),
                         "%s %" PRIu32,
                         r->network_priorities[i].interface,
                         r->network_priorities[i].priority);
                q = put(cg, CGROUP_CONTROLLER_NET_PRIO, "net_prio.ifpriomap", buf);
                if (q < 0)
                        return q;
        }
        for (size_t i = 0; i < r->n_rdma; i++) {
                const CgroupRdmaLimit *l = &r->rdma[i];
                char handles[32] = "", objects[32] = "";

                if (l->has_hca_handles)
                        snprintf(handles, sizeof(handles), " hca_handle=%" PRIu32, l->hca_handles);
                if (l->has_hca_objects)
                        snprintf(objects, sizeof(objects), " hca_object=%" PRIu32, l->hca_objects);
                if (!l->has_hca_handles && !l->has_hca_objects)
                        continue;
                snprintf(buf, sizeof(buf), "%s%s%s", l->device, handles, objects);
                q = put(cg, CGROUP_CONTROLLER_RDMA, "rdma.max", buf);
                if (q < 0)
                        return q;
        }
        return 0;
}

int cg_v1_apply(Cgroup *cg, const CgroupResources *res) {
        int r;

        /* devices first: the boundary holds before anything else could fail half way */
        if ((r = cg_v1_devices(cg, res)) < 0 || (r = memory(cg, res)) < 0 || (r = cpu(cg, res)) < 0 ||
            (r = cpuset(cg, res)) < 0 || (r = blkio(cg, res)) < 0 || (r = others(cg, res)) < 0)
                return r;
        if (res->has_pids_limit) {
                char buf[32];

                r = put(cg,
                        CGROUP_CONTROLLER_PIDS,
                        "pids.max",
                        cgroup_format_limit(res->pids_limit, buf, sizeof(buf)));
                if (r < 0)
                        return r;
        }
        return 0;
}
