/* "linux.resources": config-linux.md "Control groups", every field of it: memory, cpu, pids, blockIO,
 * hugepageLimits, network, rdma, unified and devices. Ranges the kernel would refuse (blockIO weights,
 * unified names) are left to the cgroup library's cgroup_resources_check(), which names the field too. */

#include <stdint.h>
#include <string.h>

#include "oci-config-internal.h"

/* "0-3,7": comma-separated numbers and ranges, as cpuset.cpus takes them. */
static bool cpu_list_is_valid(const char *s) {
        for (;;) {
                unsigned long first = 0, last;
                size_t digits = 0;

                for (; *s >= '0' && *s <= '9'; s++, digits++)
                        first = first * 10 + (unsigned long) (*s - '0');
                if (digits == 0 || digits > 6)
                        return false;
                if (*s == '-') {
                        last = 0;
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

static int parse_cpu_list(JsonCtx *c, json_t *v, const char *key, char **ret) {
        int r;

        r = json_ctx_string(c, v, key, 0, ret);
        if (r <= 0)
                return r;
        if (!cpu_list_is_valid(*ret)) {
                json_ctx_push_key(c, key);
                return json_ctx_error(c, "expected a list such as 0-3,7, got '%.200s'", *ret);
        }
        return 0;
}

static int
parse_limit(JsonCtx *c, json_t *v, const char *key, JsonFlags flags, bool *ret_has, int64_t *ret) {
        int r;

        /* -1 is "unlimited" (max) in all of these. */
        r = json_ctx_int(c, v, key, flags, -1, INT64_MAX, ret);
        if (r < 0)
                return r;
        *ret_has = r > 0;
        return 0;
}

static int parse_uint(JsonCtx *c, json_t *v, const char *key, uint64_t max, bool *ret_has, uint64_t *ret) {
        int r;

        r = json_ctx_uint(c, v, key, 0, max, ret);
        if (r < 0)
                return r;
        *ret_has = r > 0;
        return 0;
}

static int parse_u16(JsonCtx *c, json_t *v, const char *key, bool *ret_has, uint16_t *ret) {
        uint64_t u = 0;
        int r;

        r = parse_uint(c, v, key, UINT16_MAX, ret_has, &u);
        *ret = (uint16_t) u;
        return r;
}

static int parse_memory(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;
        int r;

        r = parse_limit(c, v, "limit", 0, &res->has_memory_limit, &res->memory_limit);
        if (r >= 0)
                r = parse_limit(
                        c, v, "reservation", 0, &res->has_memory_reservation, &res->memory_reservation);
        if (r >= 0)
                r = parse_limit(c, v, "swap", 0, &res->has_memory_swap, &res->memory_swap);
        if (r >= 0)
                r = parse_limit(c, v, "kernel", 0, &res->has_memory_kernel, &res->memory_kernel);
        if (r >= 0)
                r = parse_limit(c, v, "kernelTCP", 0, &res->has_memory_kernel_tcp, &res->memory_kernel_tcp);
        /* The kernel takes 0..100 (mm/memcontrol.c mem_cgroup_swappiness_write). */
        if (r >= 0)
                r = parse_uint(
                        c, v, "swappiness", 100, &res->has_memory_swappiness, &res->memory_swappiness);
        if (r >= 0)
                r = json_ctx_bool(c, v, "disableOOMKiller", 0, &res->memory_disable_oom_killer);
        if (r >= 0)
                r = json_ctx_bool(c, v, "checkBeforeUpdate", 0, &res->memory_check_before_update);
        return r < 0 ? r : 0;
}

static int parse_cpu(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;
        int r;

        r = parse_uint(c, v, "shares", UINT64_MAX, &res->has_cpu_shares, &res->cpu_shares);
        if (r >= 0)
                r = parse_limit(c, v, "quota", 0, &res->has_cpu_quota, &res->cpu_quota);
        if (r >= 0)
                r = parse_uint(c, v, "period", UINT64_MAX, &res->has_cpu_period, &res->cpu_period);
        if (r >= 0)
                r = parse_uint(c, v, "burst", UINT64_MAX, &res->has_cpu_burst, &res->cpu_burst);
        if (r >= 0)
                r = parse_limit(c,
                                v,
                                "realtimeRuntime",
                                0,
                                &res->has_cpu_realtime_runtime,
                                &res->cpu_realtime_runtime);
        if (r >= 0)
                r = parse_uint(c,
                               v,
                               "realtimePeriod",
                               UINT64_MAX,
                               &res->has_cpu_realtime_period,
                               &res->cpu_realtime_period);
        if (r >= 0) {
                r = json_ctx_int(c, v, "idle", 0, 0, 1, &res->cpu_idle);
                res->has_cpu_idle = r > 0;
        }
        if (r >= 0)
                r = parse_cpu_list(c, v, "cpus", &res->cpu_cpus);
        if (r >= 0)
                r = parse_cpu_list(c, v, "mems", &res->cpu_mems);
        return r < 0 ? r : 0;
}

static int parse_pids(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;

        return parse_limit(c, v, "limit", JSON_F_REQUIRED, &res->has_pids_limit, &res->pids_limit);
}

/* major and minor of a blockIO device: both required, as the spec has it. */
static int parse_major_minor(JsonCtx *c, json_t *v, int64_t *ret_major, int64_t *ret_minor) {
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r >= 0)
                r = json_ctx_int(c, v, "major", JSON_F_REQUIRED, 0, UINT32_MAX, ret_major);
        if (r >= 0)
                r = json_ctx_int(c, v, "minor", JSON_F_REQUIRED, 0, UINT32_MAX, ret_minor);
        return r < 0 ? r : 0;
}

static int parse_weight_device(JsonCtx *c, json_t *v, void *item) {
        OciWeightDevice *d = item;
        int r;

        r = parse_major_minor(c, v, &d->major, &d->minor);
        if (r >= 0)
                r = parse_u16(c, v, "weight", &d->has_weight, &d->weight);
        if (r >= 0)
                r = parse_u16(c, v, "leafWeight", &d->has_leaf_weight, &d->leaf_weight);
        return r < 0 ? r : 0;
}

static int parse_throttle_device(JsonCtx *c, json_t *v, void *item) {
        OciThrottleDevice *d = item;
        int r;

        r = parse_major_minor(c, v, &d->major, &d->minor);
        if (r >= 0)
                r = json_ctx_uint(c, v, "rate", JSON_F_REQUIRED, UINT64_MAX, &d->rate);
        return r < 0 ? r : 0;
}

static int parse_block_io(JsonCtx *c, json_t *v, void *item) {
        static const char *const throttle_keys[_OCI_THROTTLE_MAX] = {
                [OCI_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
                [OCI_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
                [OCI_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
                [OCI_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        OciResources *res = item;
        int r;

        r = parse_u16(c, v, "weight", &res->has_blkio_weight, &res->blkio_weight);
        if (r >= 0)
                r = parse_u16(c, v, "leafWeight", &res->has_blkio_leaf_weight, &res->blkio_leaf_weight);
        if (r >= 0)
                r = json_ctx_array(c,
                                   v,
                                   "weightDevice",
                                   0,
                                   sizeof(OciWeightDevice),
                                   parse_weight_device,
                                   json_item_done_nop,
                                   (void **) &res->blkio_weight_devices,
                                   &res->n_blkio_weight_devices);
        for (OciThrottle t = 0; r >= 0 && t < _OCI_THROTTLE_MAX; t++)
                r = json_ctx_array(c,
                                   v,
                                   throttle_keys[t],
                                   0,
                                   sizeof(OciThrottleDevice),
                                   parse_throttle_device,
                                   json_item_done_nop,
                                   (void **) &res->blkio_throttle[t],
                                   &res->n_blkio_throttle[t]);
        return r < 0 ? r : 0;
}

static int parse_hugepage_limit(JsonCtx *c, json_t *v, void *item) {
        OciHugepageLimit *h = item;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r >= 0)
                r = json_ctx_string(c, v, "pageSize", JSON_F_REQUIRED | JSON_F_NONEMPTY, &h->page_size);
        if (r >= 0)
                r = json_ctx_uint(c, v, "limit", JSON_F_REQUIRED, UINT64_MAX, &h->limit);
        return r < 0 ? r : 0;
}

static void hugepage_limit_done(void *item) {
        OciHugepageLimit *h = item;

        free(h->page_size);
        h->page_size = NULL;
}

static int parse_net_priority(JsonCtx *c, json_t *v, void *item) {
        OciNetPriority *p = item;
        uint64_t u = 0;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r >= 0)
                r = json_ctx_string(c, v, "name", JSON_F_REQUIRED | JSON_F_NONEMPTY, &p->name);
        if (r >= 0)
                r = json_ctx_uint(c, v, "priority", JSON_F_REQUIRED, UINT32_MAX, &u);
        p->priority = (uint32_t) u;
        return r < 0 ? r : 0;
}

static void net_priority_done(void *item) {
        OciNetPriority *p = item;

        free(p->name);
        p->name = NULL;
}

static int parse_network(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;
        uint64_t u = 0;
        int r;

        r = json_ctx_uint(c, v, "classID", 0, UINT32_MAX, &u);
        res->has_network_class_id = r > 0;
        res->network_class_id = (uint32_t) u;
        if (r >= 0)
                r = json_ctx_array(c,
                                   v,
                                   "priorities",
                                   0,
                                   sizeof(OciNetPriority),
                                   parse_net_priority,
                                   net_priority_done,
                                   (void **) &res->network_priorities,
                                   &res->n_network_priorities);
        return r < 0 ? r : 0;
}

/* "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}}: an object keyed by device. */
static int parse_rdma(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;
        const char *key;
        json_t *limit;
        size_t i = 0;

        res->rdma = calloc(json_object_size(v) + 1, sizeof(OciRdmaLimit));
        if (!res->rdma)
                return -ENOMEM;
        json_object_foreach(v, key, limit) {
                OciRdmaLimit *l = &res->rdma[i];
                uint64_t u = 0;
                int r;

                json_ctx_push_key(c, key);
                r = json_ctx_expect(c, limit, JSON_OBJECT);
                if (r < 0)
                        return r;
                json_ctx_pop(c);
                l->device = strdup(key);
                if (!l->device)
                        return -ENOMEM;
                res->n_rdma = ++i;
                json_ctx_push_key(c, key);
                r = json_ctx_uint(c, limit, "hcaHandles", 0, UINT32_MAX, &u);
                l->has_hca_handles = r > 0;
                l->hca_handles = (uint32_t) u;
                if (r >= 0)
                        r = json_ctx_uint(c, limit, "hcaObjects", 0, UINT32_MAX, &u);
                if (r > 0) {
                        l->has_hca_objects = true;
                        l->hca_objects = (uint32_t) u;
                }
                if (r < 0)
                        return r;
                json_ctx_pop(c);
        }
        return 0;
}

/* A device rule (config-linux.md "Allowed Device List"): allow is required; type, major and minor unset
 * mean all, access unset "rwm" (opencontainers/runc:libcontainer/specconv/spec_linux.go
 * CreateCgroupConfig does the same). */
static int parse_device_rule(JsonCtx *c, json_t *v, void *item) {
        _cleanup_free_ char *type = NULL, *access = NULL;
        OciDeviceRule *d = item;
        int r;

        *d = (OciDeviceRule){.type = 'a', .major = -1, .minor = -1, .access = "rwm"};
        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r >= 0)
                r = json_ctx_bool(c, v, "allow", JSON_F_REQUIRED, &d->allow);
        if (r >= 0)
                r = json_ctx_string(c, v, "type", 0, &type);
        if (r > 0) {
                if (strlen(type) != 1 || !strchr("acb", type[0])) {
                        json_ctx_push_key(c, "type");
                        return json_ctx_error(c, "unknown device type '%.200s', expected a, c or b", type);
                }
                d->type = type[0];
        }
        if (r >= 0)
                r = json_ctx_int(c, v, "major", 0, -1, UINT32_MAX, &d->major);
        if (r >= 0)
                r = json_ctx_int(c, v, "minor", 0, -1, UINT32_MAX, &d->minor);
        if (r >= 0)
                r = json_ctx_string(c, v, "access", 0, &access);
        if (r > 0) {
                bool seen[3] = {};

                for (const char *p = access; *p; p++) {
                        const char *at = strchr("rwm", *p);

                        if (!at || seen[at - "rwm"]) {
                                json_ctx_push_key(c, "access");
                                return json_ctx_error(
                                        c, "expected a non-empty subset of 'rwm', got '%.200s'", access);
                        }
                        seen[at - "rwm"] = true;
                }
                if (*access == '\0') {
                        json_ctx_push_key(c, "access");
                        return json_ctx_error(c, "expected a non-empty subset of 'rwm', got ''");
                }
                strcpy(d->access, access);
        }
        return r < 0 ? r : 0;
}

static int parse_resources_fields(JsonCtx *c, json_t *v, OciResources *res) {
        int r;

        r = json_ctx_object(c, v, "memory", 0, parse_memory, res);
        if (r >= 0)
                r = json_ctx_object(c, v, "cpu", 0, parse_cpu, res);
        if (r >= 0)
                r = json_ctx_object(c, v, "pids", 0, parse_pids, res);
        if (r >= 0)
                r = json_ctx_object(c, v, "blockIO", 0, parse_block_io, res);
        if (r >= 0)
                r = json_ctx_array(c,
                                   v,
                                   "hugepageLimits",
                                   0,
                                   sizeof(OciHugepageLimit),
                                   parse_hugepage_limit,
                                   hugepage_limit_done,
                                   (void **) &res->hugepage_limits,
                                   &res->n_hugepage_limits);
        if (r >= 0)
                r = json_ctx_object(c, v, "network", 0, parse_network, res);
        if (r >= 0)
                r = json_ctx_object(c, v, "rdma", 0, parse_rdma, res);
        if (r >= 0)
                r = json_ctx_map(c, v, "unified", 0, &res->unified, &res->n_unified);
        if (r >= 0)
                r = json_ctx_array(c,
                                   v,
                                   "devices",
                                   0,
                                   sizeof(OciDeviceRule),
                                   parse_device_rule,
                                   json_item_done_nop,
                                   (void **) &res->devices,
                                   &res->n_devices);
        /* An empty list still replaces the group's rules: it denies everything. */
        if (r >= 0)
                res->has_devices = json_is_array(json_object_get(v, "devices"));
        return r < 0 ? r : 0;
}

int oci_parse_resources(JsonCtx *c, json_t *v, void *item) {
        _cleanup_(oci_resources_freep) OciResources *res = NULL;
        int r;

        res = calloc(1, sizeof(OciResources));
        if (!res)
                return -ENOMEM;
        r = parse_resources_fields(c, v, res);
        if (r < 0)
                return r;
        *(OciResources **) item = TAKE_PTR(res);
        return 0;
}

OciResources *oci_resources_free(OciResources *res) {
        if (!res)
                return NULL;
        free(res->cpu_cpus);
        free(res->cpu_mems);
        free(res->blkio_weight_devices);
        for (OciThrottle t = 0; t < _OCI_THROTTLE_MAX; t++)
                free(res->blkio_throttle[t]);
        for (size_t i = 0; i < res->n_hugepage_limits; i++)
                free(res->hugepage_limits[i].page_size);
        free(res->hugepage_limits);
        for (size_t i = 0; i < res->n_network_priorities; i++)
                free(res->network_priorities[i].name);
        free(res->network_priorities);
        for (size_t i = 0; i < res->n_rdma; i++)
                free(res->rdma[i].device);
        free(res->rdma);
        oci_key_values_free(res->unified, res->n_unified);
        free(res->devices);
        free(res);
        return NULL;
}
