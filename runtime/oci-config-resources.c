/* "linux.resources": config-linux.md "Control groups", the part the cgroup code uses: memory limit,
 * reservation and swap; cpu shares, quota, period, cpus and mems; pids limit. The rest is ignored. */

#include <stdint.h>

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

static int parse_memory(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;
        int r;

        r = parse_limit(c, v, "limit", 0, &res->has_memory_limit, &res->memory_limit);
        if (r < 0)
                return r;
        r = parse_limit(c, v, "reservation", 0, &res->has_memory_reservation, &res->memory_reservation);
        if (r < 0)
                return r;
        return parse_limit(c, v, "swap", 0, &res->has_memory_swap, &res->memory_swap);
}

static int parse_cpu(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;
        int r;

        r = json_ctx_uint(c, v, "shares", 0, UINT64_MAX, &res->cpu_shares);
        if (r < 0)
                return r;
        res->has_cpu_shares = r > 0;
        r = parse_limit(c, v, "quota", 0, &res->has_cpu_quota, &res->cpu_quota);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "period", 0, UINT64_MAX, &res->cpu_period);
        if (r < 0)
                return r;
        res->has_cpu_period = r > 0;
        r = parse_cpu_list(c, v, "cpus", &res->cpu_cpus);
        if (r < 0)
                return r;
        return parse_cpu_list(c, v, "mems", &res->cpu_mems);
}

static int parse_pids(JsonCtx *c, json_t *v, void *item) {
        OciResources *res = item;

        return parse_limit(c, v, "limit", JSON_F_REQUIRED, &res->has_pids_limit, &res->pids_limit);
}

static int parse_resources_fields(JsonCtx *c, json_t *v, OciResources *res) {
        int r;

        r = json_ctx_object(c, v, "memory", 0, parse_memory, res);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "cpu", 0, parse_cpu, res);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "pids", 0, parse_pids, res);
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
        free(res);
        return NULL;
}
