/* `tether update`, with runc's command line (opencontainers/runc:update.go): the limits of a container's
 * cgroup, built on what was set before (oci-resources-update.h). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-cgroup.h"
#include "container.h"
#include "log.h"
#include "macro.h"
#include "oci-cgroup.h"
#include "oci-config.h"
#include "oci-resources-update.h"

#define UPDATE_USAGE                                                                                        \
        "[-r FILE|-] [--memory SIZE] [--memory-reservation SIZE] [--memory-swap SIZE] [--cpu-quota N]\n"    \
        "                     [--cpu-period N] [--cpu-share N] [--cpuset-cpus LIST] [--cpuset-mems LIST]\n" \
        "                     [--pids-limit N] [--blkio-weight N] ID"

/* docker/go-units RAMInBytes, as runc's update reads sizes: a number, optionally with b, k, m, g, t, p
 * (binary, any case, an optional trailing b or ib); -1 is unlimited. */
static int parse_size(const char *s, int64_t *ret) {
        static const char units[] = "bkmgtp";
        const char *u;
        double v;
        char *end;
        int shift;

        if (strcmp(s, "-1") == 0)
                return *ret = -1, 0;
        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || v < 0 || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        if (*end == '\0')
                shift = 0;
        else {
                u = strchr(units, end[0] | 0x20);
                if (!u)
                        return -EINVAL;
                shift = (int) (u - units) * 10;
                end++;
                if ((end[0] | 0x20) == 'i' && u != units)
                        end++;
                if ((end[0] | 0x20) == 'b' && u != units)
                        end++;
                if (*end != '\0')
                        return -EINVAL;
        }
        v *= (double) (UINT64_C(1) << shift);
        if (v >= 9.2e18)
                return -ERANGE;
        *ret = (int64_t) v;
        return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || *s == '-' || *s == '+' || *s == ' ' || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_i64(const char *s, int64_t *ret) {
        long long v;
        char *end;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end || *s == ' ' || v < -1)
                return -EINVAL;
        *ret = v;
        return 0;
}

enum {
        OPT_MEMORY = 0x100,
        OPT_MEMORY_RESERVATION,
        OPT_MEMORY_SWAP,
        OPT_CPU_QUOTA,
        OPT_CPU_PERIOD,
        OPT_CPU_SHARE,
        OPT_CPUSET_CPUS,
        OPT_CPUSET_MEMS,
        OPT_PIDS_LIMIT,
        OPT_BLKIO_WEIGHT,
};

/* Sets section.key of the update object to v (a new reference, taken). */
static int update_set(json_t *update, const char *section, const char *key, json_t *v) {
        json_t *s = json_object_get(update, section);

        if (!v)
                return -ENOMEM;
        if (!s) {
                s = json_object();
                if (!s || json_object_set_new(update, section, s) < 0) {
                        json_decref(v);
                        return -ENOMEM;
                }
        }
        return json_object_set_new(s, key, v) < 0 ? -ENOMEM : 0;
}

/* One of update's flags into the update, a linux.resources object as -r would give; -EINVAL if its value
 * is bad. */
static int update_flag(int c, const char *v, json_t *update) {
        static const struct {
                int flag;
                const char *section, *key;
        } keys[] = {
                {OPT_MEMORY, "memory", "limit"},
                {OPT_MEMORY_RESERVATION, "memory", "reservation"},
                {OPT_MEMORY_SWAP, "memory", "swap"},
                {OPT_CPU_QUOTA, "cpu", "quota"},
                {OPT_CPU_PERIOD, "cpu", "period"},
                {OPT_CPU_SHARE, "cpu", "shares"},
                {OPT_CPUSET_CPUS, "cpu", "cpus"},
                {OPT_CPUSET_MEMS, "cpu", "mems"},
                {OPT_PIDS_LIMIT, "pids", "limit"},
                {OPT_BLKIO_WEIGHT, "blockIO", "weight"},
        };
        int64_t i = 0;
        uint64_t u = 0;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                if (keys[k].flag != c)
                        continue;
                switch (c) {
                case OPT_MEMORY:
                case OPT_MEMORY_RESERVATION:
                case OPT_MEMORY_SWAP:
                        r = parse_size(v, &i);
                        break;
                case OPT_CPU_QUOTA:
                case OPT_PIDS_LIMIT:
                        r = parse_i64(v, &i);
                        break;
                case OPT_CPUSET_CPUS:
                case OPT_CPUSET_MEMS:
                        return update_set(update, keys[k].section, keys[k].key, json_string(v));
                default: /* jansson's integers are int64 */
                        r = parse_u64(v, c == OPT_BLKIO_WEIGHT ? UINT16_MAX : INT64_MAX, &u);
                        i = (int64_t) u;
                }
                if (r < 0)
                        return r;
                return update_set(update, keys[k].section, keys[k].key, json_integer((json_int_t) i));
        }
        return -EINVAL;
}

/* -r FILE or -r -: a linux.resources object; the flags are ignored then, as in runc. Checked by the
 * config's parser first, so that an error names the field, line and column. */
static int read_resources_file(const char *path, json_t **ret) {
        _cleanup_(oci_resources_freep) OciResources *res = NULL;
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
        size_t len = 0, size = 0;
        OciError error = {};
        json_error_t jerror;
        json_t *j;
        int r;

        fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                                    : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "failed to open '%s'", path);
        for (;;) {
                ssize_t n;

                if (size - len < 4096) {
                        char *p = size < OCI_CONFIG_SIZE_MAX ? realloc(buf, size += 65536) : NULL;

                        if (!p)
                                return log_error("'%s' is too large", path), -EFBIG;
                        buf = p;
                }
                n = read(fd, buf + len, size - len);
                if (n < 0)
                        return log_error_errno(errno, "failed to read '%s'", path);
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        r = oci_resources_parse(buf, len, name, &res, &error);
        if (r < 0)
                return log_error("%s", error.message[0] ? error.message : strerror(-r)), r;
        j = json_loadb(buf, len, 0, &jerror);
        if (!j)
                return log_error("%s:%d:%d: %s", name, jerror.line, jerror.column, jerror.text), -EINVAL;
        *ret = j;
        return 0;
}

static int
parse_update_args(int argc, char **argv, json_t *update, const char **ret_file, const char **ret_id) {
        static const struct option options[] = {
                {"resources", required_argument, NULL, 'r'},
                {"memory", required_argument, NULL, OPT_MEMORY},
                {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
                {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
                {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
                {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
                {"cpu-share", required_argument, NULL, OPT_CPU_SHARE},
                {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
                {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
                {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
                {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
                {"help", no_argument, NULL, 'h'},
                {}};
        int c, longindex = -1;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+:r:h", options, &longindex)) >= 0) {
                if (c == 'h')
                        return cli_help("update", UPDATE_USAGE), 1;
                if (c == 'r') {
                        *ret_file = optarg;
                        continue;
                }
                if (c == ':')
                        return cli_usage_error(
                                "update", UPDATE_USAGE, "option '%s' needs an argument", argv[optind - 1]);
                if (c == '?')
                        return cli_usage_error(
                                "update", UPDATE_USAGE, "unknown option '%s'", argv[optind - 1]);
                if (update_flag(c, optarg, update) < 0)
                        return cli_usage_error("update",
                                               UPDATE_USAGE,
                                               "invalid value '%s' for '--%s'",
                                               optarg,
                                               longindex >= 0 ? options[longindex].name : "?");
        }
        if (argc - optind != 1)
                return cli_usage_error("update", UPDATE_USAGE, "expected exactly one container id");
        *ret_id = argv[optind];
        return 0;
}

/* runc checks a new memory limit against the usage (opencontainers/cgroups fs/memory.go: "rejecting
 * memory limit %d below usage %d" with checkBeforeUpdate); tether always does: a limit below what is in
 * use would get the container OOM-killed, or leave the old one with an EBUSY half-way through. */
static int check_memory_usage(CgroupContainer *c, const CgroupResources *res) {
        const char *what = NULL;
        CgroupStats st;
        int r;

        if (!res->has_memory_limit || res->memory_limit < 0)
                return 0;
        r = cgroup_get_stats(c->cgroup.cg, &st, &what);
        if (r < 0)
                return log_error_errno(
                        r, "container '%s': failed to read its memory usage: %s", c->state->id, what);
        if ((uint64_t) res->memory_limit < st.memory.usage)
                return log_error("container '%s': memory limit %" PRIi64
                                 " is below the current usage %" PRIu64 ", refusing; nothing was changed",
                                 c->state->id,
                                 res->memory_limit,
                                 st.memory.usage),
                       -EBUSY;
        return 0;
}

/* Writes apply (a linux.resources object) to the container's group. */
static int update_apply(CgroupContainer *c, json_t *apply) {
        _cleanup_(oci_resources_freep) OciResources *parsed = NULL;
        _cleanup_free_ char *text = NULL;
        OciCgroupResources res = {};
        const char *what = NULL;
        OciError error = {};
        int r;

        text = json_dumps(apply, JSON_COMPACT);
        if (!text)
                return log_error_errno(ENOMEM, "update failed"), -ENOMEM;
        r = oci_resources_parse(text, strlen(text), "(update)", &parsed, &error);
        if (r < 0)
                return log_error("container '%s': %s",
                                 c->state->id,
                                 error.message[0] ? error.message : strerror(-r)),
                       r;
        r = oci_cgroup_resources(parsed, NULL, 0, 0, &res);
        if (r < 0)
                return log_error_errno(ENOMEM, "update failed"), r;
        r = check_memory_usage(c, &res.res);
        if (r >= 0) {
                r = cgroup_update(c->cgroup.cg, &res.res, &what);
                if (r < 0)
                        log_error_errno(
                                r, "container '%s': failed to update its resources: %s", c->state->id, what);
        }
        oci_cgroup_resources_done(&res);
        return r;
}

/* As runc's update: the resources as last set (a previous update's, else the config's) with this update
 * merged in, so that an update of the CPU quota keeps the period set before, of the memory limit the
 * memory+swap limit (oci-resources-update.h); what was set is kept in the state for the next one. */
int verb_update(const GlobalOptions *g, int argc, char **argv) {
        _cleanup_(cgroup_container_done) CgroupContainer c = {.root_fd = -EBADF, .dir_fd = -EBADF};
        json_auto_t *update = json_object(), *stored = NULL, *merged = NULL, *apply = NULL;
        const char *path = NULL, *id = NULL;
        int r;

        if (!update)
                return log_error_errno(ENOMEM, "update failed"), 1;
        r = parse_update_args(argc, argv, update, &path, &id);
        if (r != 0)
                return r == 1 ? 0 : r;
        /* The container first: it may hand the command over to tether-systemd, which reads `-r -` then. */
        if (cgroup_container_open(g, id, true, &c) < 0)
                return 1;
        if (path) {
                json_decref(update);
                update = NULL;
                if (read_resources_file(path, &update) < 0)
                        return 1;
        }
        if (c.state->resources)
                stored = json_incref(c.state->resources);
        else {
                r = container_load_config_resources(c.dir_fd, &stored);
                if (r < 0)
                        return log_error_errno(
                                       r, "container '%s': failed to read the resources of its config", id),
                               1;
        }
        r = oci_resources_update_merge(stored, update, &merged, &apply);
        if (r < 0)
                return log_error_errno(r, "update failed"), 1;
        if (update_apply(&c, apply) < 0)
                return 1;
        json_decref(c.state->resources);
        c.state->resources = TAKE_PTR(merged);
        r = state_write(c.dir_fd, c.state);
        if (r < 0)
                return log_error_errno(r, "container '%s': failed to record its resources", id), 1;
        return 0;
}
