/* linux.resources to CgroupResources: the scalars one to one, the lists into the library's types, and the
 * device rules as runc builds them (opencontainers/runc:libcontainer/specconv/spec_linux.go
 * CreateCgroupConfig: the config's rules first, then AllowedDevices and every linux.devices entry). */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "oci-cgroup.h"

/* opencontainers/runc:libcontainer/specconv/spec_linux.go AllowedDevices: mknod of any node (opening one
 * still needs its own rule), /dev/null, zero, full, tty, urandom, random, the ptys, ptmx and net/tun. */
static const CgroupDeviceRule default_device_rules[] = {
        {true, 'c', -1, -1, "m"},
        {true, 'b', -1, -1, "m"},
        {true, 'c', 1, 3, "rwm"},
        {true, 'c', 1, 8, "rwm"},
        {true, 'c', 1, 7, "rwm"},
        {true, 'c', 5, 0, "rwm"},
        {true, 'c', 1, 5, "rwm"},
        {true, 'c', 1, 9, "rwm"},
        {true, 'c', 136, -1, "rwm"},
        {true, 'c', 5, 2, "rwm"},
        {true, 'c', 10, 200, "rwm"},
};

static int device_rules(const OciResources *res,
                        const OciDevice *devices,
                        size_t n_devices,
                        bool defaults,
                        OciCgroupResources *ret) {
        size_t n_config = res && res->has_devices ? res->n_devices : 0, n = 0;

        if (!defaults && !(res && res->has_devices))
                return 0;
        ret->devices = calloc(n_config + ELEMENTSOF(default_device_rules) + n_devices + 1,
                              sizeof(CgroupDeviceRule));
        if (!ret->devices)
                return -ENOMEM;
        for (size_t i = 0; i < n_config; i++) {
                const OciDeviceRule *d = &res->devices[i];

                ret->devices[n++] = (CgroupDeviceRule){d->allow, d->type, d->major, d->minor, d->access};
        }
        if (defaults) {
                for (size_t i = 0; i < ELEMENTSOF(default_device_rules); i++)
                        ret->devices[n++] = default_device_rules[i];
                /* FIFOs are no devices to the cgroup. */
                for (size_t i = 0; i < n_devices; i++)
                        if (S_ISCHR(devices[i].type) || S_ISBLK(devices[i].type))
                                ret->devices[n++] = (CgroupDeviceRule){
                                        true,
                                        S_ISCHR(devices[i].type) ? 'c' : 'b',
                                        devices[i].major,
                                        devices[i].minor,
                                        "rwm",
                                };
        }
        ret->res.has_devices = true;
        ret->res.devices = ret->devices;
        ret->res.n_devices = n;
        return 0;
}

/* 0 is "not set" for these, as runc reads them: Go's zero value, and what docker sends for an option not
 * given ("cpu": {"shares": 0}); opencontainers/cgroups fs/cpu.go, memory.go, pids.go and blkio.go write
 * only values != 0. */
#define COPY_NONZERO(d, s, field)                                       \
        do {                                                            \
                (d)->has_##field = (s)->has_##field && (s)->field != 0; \
                (d)->field = (s)->field;                                \
        } while (0)
#define COPY(d, s, field)                            \
        do {                                         \
                (d)->has_##field = (s)->has_##field; \
                (d)->field = (s)->field;             \
        } while (0)

static void copy_scalars(const OciResources *s, CgroupResources *d) {
        COPY_NONZERO(d, s, memory_limit);
        COPY_NONZERO(d, s, memory_reservation);
        COPY_NONZERO(d, s, memory_swap);
        COPY_NONZERO(d, s, memory_kernel);
        COPY_NONZERO(d, s, memory_kernel_tcp);
        COPY(d, s, memory_swappiness);
        d->memory_disable_oom_killer = s->memory_disable_oom_killer;
        COPY_NONZERO(d, s, cpu_shares);
        COPY_NONZERO(d, s, cpu_quota);
        COPY_NONZERO(d, s, cpu_period);
        COPY(d, s, cpu_burst);
        COPY_NONZERO(d, s, cpu_realtime_runtime);
        COPY_NONZERO(d, s, cpu_realtime_period);
        COPY(d, s, cpu_idle);
        d->cpu_cpus = s->cpu_cpus && *s->cpu_cpus ? s->cpu_cpus : NULL;
        d->cpu_mems = s->cpu_mems && *s->cpu_mems ? s->cpu_mems : NULL;
        COPY_NONZERO(d, s, pids_limit);
        COPY_NONZERO(d, s, blkio_weight);
        COPY_NONZERO(d, s, blkio_leaf_weight);
        COPY_NONZERO(d, s, network_class_id);
}

/* calloc() of n items, at least one so that NULL means only failure. */
static void *new_array(size_t n, size_t size) {
        return calloc(n + 1, size);
}

static int copy_lists(const OciResources *s, OciCgroupResources *ret) {
        CgroupResources *d = &ret->res;

        ret->weight_devices = new_array(s->n_blkio_weight_devices, sizeof(CgroupWeightDevice));
        ret->hugepages = new_array(s->n_hugepage_limits, sizeof(CgroupHugepageLimit));
        ret->priorities = new_array(s->n_network_priorities, sizeof(CgroupNetPriority));
        ret->rdma = new_array(s->n_rdma, sizeof(CgroupRdmaLimit));
        ret->unified = new_array(s->n_unified, sizeof(CgroupKeyValue));
        if (!ret->weight_devices || !ret->hugepages || !ret->priorities || !ret->rdma || !ret->unified)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_blkio_weight_devices; i++) {
                const OciWeightDevice *w = &s->blkio_weight_devices[i];

                ret->weight_devices[i] = (CgroupWeightDevice){
                        w->major, w->minor, w->has_weight, w->weight, w->has_leaf_weight, w->leaf_weight};
        }
        d->blkio_weight_devices = ret->weight_devices;
        d->n_blkio_weight_devices = s->n_blkio_weight_devices;
        for (OciThrottle t = 0; t < _OCI_THROTTLE_MAX; t++) {
                /* OciThrottle and CgroupThrottle list the same four in the same order. */
                ret->throttle[t] = new_array(s->n_blkio_throttle[t], sizeof(CgroupThrottleDevice));
                if (!ret->throttle[t])
                        return -ENOMEM;
                for (size_t i = 0; i < s->n_blkio_throttle[t]; i++)
                        ret->throttle[t][i] = (CgroupThrottleDevice){s->blkio_throttle[t][i].major,
                                                                     s->blkio_throttle[t][i].minor,
                                                                     s->blkio_throttle[t][i].rate};
                d->blkio_throttle[t] = ret->throttle[t];
                d->n_blkio_throttle[t] = s->n_blkio_throttle[t];
        }
        for (size_t i = 0; i < s->n_hugepage_limits; i++)
                ret->hugepages[i] =
                        (CgroupHugepageLimit){s->hugepage_limits[i].page_size, s->hugepage_limits[i].limit};
        d->hugepage_limits = ret->hugepages;
        d->n_hugepage_limits = s->n_hugepage_limits;
        for (size_t i = 0; i < s->n_network_priorities; i++)
                ret->priorities[i] = (CgroupNetPriority){s->network_priorities[i].name,
                                                         s->network_priorities[i].priority};
        d->network_priorities = ret->priorities;
        d->n_network_priorities = s->n_network_priorities;
        for (size_t i = 0; i < s->n_rdma; i++) {
                const OciRdmaLimit *l = &s->rdma[i];

                ret->rdma[i] = (CgroupRdmaLimit){
                        l->device, l->has_hca_handles, l->hca_handles, l->has_hca_objects, l->hca_objects};
        }
        d->rdma = ret->rdma;
        d->n_rdma = s->n_rdma;
        for (size_t i = 0; i < s->n_unified; i++)
                ret->unified[i] = (CgroupKeyValue){s->unified[i].key, s->unified[i].value};
        d->unified = ret->unified;
        d->n_unified = s->n_unified;
        return 0;
}

int oci_cgroup_resources(const OciResources *res,
                         const OciDevice *devices,
                         size_t n_devices,
                         OciCgroupFlags flags,
                         OciCgroupResources *ret) {
        OciCgroupResources r = {};
        int k;

        if (res) {
                copy_scalars(res, &r.res);
                k = copy_lists(res, &r);
                if (k < 0) {
                        oci_cgroup_resources_done(&r);
                        return k;
                }
        }
        k = device_rules(res, devices, n_devices, flags & OCI_CGROUP_DEFAULT_DEVICES, &r);
        if (k < 0) {
                oci_cgroup_resources_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

void oci_cgroup_resources_done(OciCgroupResources *r) {
        free(r->devices);
        free(r->weight_devices);
        for (CgroupThrottle t = 0; t < _CGROUP_THROTTLE_MAX; t++)
                free(r->throttle[t]);
        free(r->hugepages);
        free(r->priorities);
        free(r->rdma);
        free(r->unified);
        *r = (OciCgroupResources){};
}
