/* `tether pause`, `resume`, `update` and `events`: the verbs of a container's cgroup, with runc's command
 * lines and output (opencontainers/runc:pause.go, update.go, events.go, types/events.go). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "container-cgroup.h"
#include "log.h"
#include "macro.h"
#include "oci-cgroup.h"
#include "oci-config.h"
#include "oci-resources-update.h"
#include "state.h"

#define UPDATE_USAGE                                                                                        \
        "[-r FILE|-] [--memory SIZE] [--memory-reservation SIZE] [--memory-swap SIZE] [--cpu-quota N]\n"    \
        "                     [--cpu-period N] [--cpu-share N] [--cpuset-cpus LIST] [--cpuset-mems LIST]\n" \
        "                     [--pids-limit N] [--blkio-weight N] ID"
#define EVENTS_USAGE "[--stats] [--interval DURATION] ID"

/* A container opened for its cgroup: locked state, the group. */
typedef struct CgroupContainer {
        int root_fd;
        int dir_fd;
        ContainerState *state;
        ContainerStatus status;
        ContainerCgroup cgroup;
} CgroupContainer;

static void cgroup_container_done(CgroupContainer *c) {
        safe_close(c->dir_fd);
        safe_close(c->root_fd);
        container_state_free(c->state);
        container_cgroup_done(&c->cgroup);
        *c = (CgroupContainer){.root_fd = -EBADF, .dir_fd = -EBADF};
}

/* Opens the container and its group; logs and returns -errno. */
static int cgroup_container_open(const GlobalOptions *g, const char *id, CgroupContainer *ret) {
        CgroupContainer c = {.root_fd = -EBADF, .dir_fd = -EBADF};
        char error[1024];
        int r;

        if (cli_open_container(g, id, &c.root_fd, &c.dir_fd) < 0)
                return -EINVAL;
        r = state_read(c.dir_fd, &c.state);
        if (r < 0) {
                cgroup_container_done(&c);
                return log_error_errno(r, "container '%s': failed to read its state", id);
        }
        c.status = container_state_status(c.state);
        if (c.status == CONTAINER_STOPPED) {
                cgroup_container_done(&c);
                return log_error("container '%s' is not running", id), -ESRCH;
        }
        r = container_cgroup_open(c.state->cgroup_paths, &c.cgroup, error, sizeof(error));
        if (r < 0) {
                cgroup_container_done(&c);
                return log_error_errno(r, "container '%s': %s", id, error);
        }
        /* A state from before the freeze file was kept: keep it now, so that its status comes from the
         * group from here on (the old paused flag would go stale). */
        if (!c.state->freeze_file && cgroup_get_freeze_file(c.cgroup.cg, &c.state->freeze_file) >= 0) {
                c.state->paused = false;
                r = state_write(c.dir_fd, c.state);
                if (r < 0) {
                        cgroup_container_done(&c);
                        return log_error_errno(r, "container '%s': failed to record the state", id);
                }
                c.status = container_state_status(c.state);
        }
        *ret = c;
        return 0;
}

/* pause and resume: runc's container.Pause/Resume (opencontainers/runc:libcontainer/container_linux.go):
 * a running or created container freezes, a paused one thaws. Nothing is recorded: the status says
 * "paused" while the group is frozen, as the kernel tells it (state.c). */
static int pause_or_resume(const GlobalOptions *g, const char *verb, int argc, char **argv, bool freeze) {
        _cleanup_(cgroup_container_done) CgroupContainer c = {.root_fd = -EBADF, .dir_fd = -EBADF};
        const char *what = NULL, *id;
        bool frozen = false;
        int r;

        if (argc == 2 && cli_is_help(argv[1]))
                return cli_help(verb, "ID");
        if (argc != 2)
                return cli_usage_error(verb, "ID", "expected exactly one container id");
        id = argv[1];
        if (cgroup_container_open(g, id, &c) < 0)
                return 1;
        if (freeze && c.status != CONTAINER_RUNNING && c.status != CONTAINER_CREATED)
                return log_error("container '%s' is not running or created (%s)",
                                 id,
                                 container_status_to_string(c.status)),
                       1;
        if (!freeze && c.status != CONTAINER_PAUSED)
                return log_error("container '%s' is not paused (%s)",
                                 id,
                                 container_status_to_string(c.status)),
                       1;
        r = cgroup_freeze(c.cgroup.cg, freeze, &what);
        if (r < 0)
                return log_error_errno(r,
                                       "container '%s': failed to %s its cgroup: %s",
                                       id,
                                       freeze ? "freeze" : "thaw",
                                       what),
                       1;
        /* On v1 a thaw of the group cannot undo its parent's freeze, and the write succeeds all the
         * same: do not report a resume that left it paused. */
        if (!freeze && cgroup_is_frozen(c.cgroup.cg, &frozen, NULL) >= 0 && frozen)
                return log_error("container '%s': its cgroup is still frozen: a group above it is frozen",
                                 id),
                       1;
        return 0;
}

int verb_pause(const GlobalOptions *g, int argc, char **argv) {
        return pause_or_resume(g, "pause", argc, argv, true);
}

int verb_resume(const GlobalOptions *g, int argc, char **argv) {
        return pause_or_resume(g, "resume", argc, argv, false);
}

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
        if (path) {
                json_decref(update);
                update = NULL;
                if (read_resources_file(path, &update) < 0)
                        return 1;
        }
        if (cgroup_container_open(g, id, &c) < 0)
                return 1;
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

/* Adds key: v to o unless v is 0, as Go's omitempty. */
static void set_nonzero(json_t *o, const char *key, uint64_t v) {
        if (v != 0)
                json_object_set_new(o, key, json_integer((json_int_t) v));
}

/* runc's types.NetworkInterface, whose fields have no JSON tags: Go's encoder names them as declared
 * (opencontainers/runc:types/events.go). A nil slice, "null", without interfaces. */
static json_t *network_to_json(const CgroupStats *st) {
        json_t *a;

        if (st->n_net == 0)
                return json_null();
        a = json_array();
        for (size_t i = 0; a && i < st->n_net; i++)
                json_array_append_new(a,
                                      json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                                                "Name",
                                                st->net[i].name,
                                                "RxBytes",
                                                (json_int_t) st->net[i].rx_bytes,
                                                "RxPackets",
                                                (json_int_t) st->net[i].rx_packets,
                                                "RxErrors",
                                                (json_int_t) st->net[i].rx_errors,
                                                "RxDropped",
                                                (json_int_t) st->net[i].rx_dropped,
                                                "TxBytes",
                                                (json_int_t) st->net[i].tx_bytes,
                                                "TxPackets",
                                                (json_int_t) st->net[i].tx_packets,
                                                "TxErrors",
                                                (json_int_t) st->net[i].tx_errors,
                                                "TxDropped",
                                                (json_int_t) st->net[i].tx_dropped));
        return a;
}

/* runc's types.Stats (opencontainers/runc:types/events.go, filled by events.go convertLibcontainerStats)
 * from the library's CgroupStats: times in nanoseconds, "max" limits as the largest number. */
static json_t *stats_to_json(const CgroupStats *st) {
        json_t *usage = json_object(), *throttling = json_object(), *memory = json_object(),
               *pids = json_object(), *raw = json_object(), *hugetlb = json_object();

        json_object_set_new(usage, "kernel", json_integer((json_int_t) (st->cpu.system_usec * 1000)));
        json_object_set_new(usage, "user", json_integer((json_int_t) (st->cpu.user_usec * 1000)));
        set_nonzero(usage, "total", st->cpu.usage_usec * 1000);
        set_nonzero(throttling, "periods", st->cpu.nr_periods);
        set_nonzero(throttling, "throttledPeriods", st->cpu.nr_throttled);
        set_nonzero(throttling, "throttledTime", st->cpu.throttled_usec * 1000);

        set_nonzero(memory, "cache", st->memory.file);
        json_object_set_new(memory,
                            "usage",
                            json_pack("{s:I, s:I, s:I, s:I}",
                                      "limit",
                                      (json_int_t) st->memory.limit,
                                      "usage",
                                      (json_int_t) st->memory.usage,
                                      "max",
                                      (json_int_t) st->memory.peak,
                                      "failcnt",
                                      (json_int_t) st->memory.failcnt));
        json_object_set_new(memory,
                            "swap",
                            json_pack("{s:I, s:I, s:I}",
                                      "limit",
                                      (json_int_t) 0,
                                      "usage",
                                      (json_int_t) st->memory.swap_usage,
                                      "failcnt",
                                      (json_int_t) 0));
        json_object_set_new(memory,
                            "kernel",
                            json_pack("{s:I, s:I, s:I}",
                                      "limit",
                                      (json_int_t) 0,
                                      "usage",
                                      (json_int_t) st->memory.kernel,
                                      "failcnt",
                                      (json_int_t) 0));
        set_nonzero(raw, "anon", st->memory.anon);
        set_nonzero(raw, "file", st->memory.file);
        set_nonzero(raw, "shmem", st->memory.shmem);
        set_nonzero(raw, "pgfault", st->memory.pgfault);
        set_nonzero(raw, "pgmajfault", st->memory.pgmajfault);
        set_nonzero(raw, "oom", st->memory.events_oom);
        set_nonzero(raw, "oom_kill", st->memory.events_oom_kill);
        json_object_set_new(memory, "raw", raw);

        set_nonzero(pids, "current", st->pids.current);
        /* runc reports "max" as 0, left out. */
        set_nonzero(pids, "limit", st->pids.limit == UINT64_MAX ? 0 : st->pids.limit);
        for (size_t i = 0; i < st->n_hugetlb; i++)
                json_object_set_new(hugetlb,
                                    st->hugetlb[i].page_size,
                                    json_pack("{s:I, s:I, s:I}",
                                              "usage",
                                              (json_int_t) st->hugetlb[i].usage,
                                              "max",
                                              (json_int_t) st->hugetlb[i].peak,
                                              "failcnt",
                                              (json_int_t) st->hugetlb[i].failcnt));
        return json_pack("{s:{s:o, s:o}, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o, s:{}, s:o, s:{}, s:o}",
                         "cpu",
                         "usage",
                         usage,
                         "throttling",
                         throttling,
                         "cpuset",
                         "cpu_exclusive",
                         (json_int_t) 0,
                         "mem_hardwall",
                         (json_int_t) 0,
                         "mem_exclusive",
                         (json_int_t) 0,
                         "memory_migrate",
                         (json_int_t) 0,
                         "memory_spread_page",
                         (json_int_t) 0,
                         "memory_spread_slab",
                         (json_int_t) 0,
                         "memory",
                         memory,
                         "pids",
                         pids,
                         "blkio",
                         "hugetlb",
                         hugetlb,
                         "intel_rdt",
                         "network_interfaces",
                         network_to_json(st));
}

/* One event as runc's json.Encoder writes it: a compact line. */
static int print_event(const char *type, const char *id, json_t *data) {
        json_t *e = json_pack("{s:s, s:s}", "type", type, "id", id);
        _cleanup_free_ char *text = NULL;

        if (e && data)
                json_object_set_new(e, "data", data);
        else
                json_decref(data);
        text = e ? json_dumps(e, JSON_COMPACT) : NULL;
        json_decref(e);
        if (!text)
                return -ENOMEM;
        printf("%s\n", text);
        return fflush(stdout) == 0 ? 0 : -errno;
}

static int print_stats(CgroupContainer *c) {
        _cleanup_close_ int pidfd = -EBADF;
        const char *what = NULL;
        CgroupStats st;
        int r;

        r = cgroup_get_stats(c->cgroup.cg, &st, &what);
        if (r < 0)
                return log_error_errno(
                        r, "container '%s': failed to read its stats: %s", c->state->id, what);
        /* The first process's network namespace; none once it is gone, as the group outlives it. */
        if (pidref_open(&c->state->init, &pidfd) >= 0) {
                r = cgroup_get_net_stats(c->state->init.pid, pidfd, &st);
                if (r < 0 && r != -ESRCH)
                        log_warning_errno(r,
                                          "container '%s': failed to read its network counters, ignoring",
                                          c->state->id);
        }
        return print_event("stats", c->state->id, stats_to_json(&st));
}

/* Go's time.ParseDuration for one number and unit ("5s", "100ms", "1.5m", "2h"); milliseconds. */
static int parse_interval(const char *s, int64_t *ret_ms) {
        static const struct {
                const char *unit;
                double ms;
        } units[] = {
                {"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(end, units[i].unit) == 0) {
                        v *= units[i].ms;
                        if (v < 1 || v > 1e12)
                                return -ERANGE;
                        *ret_ms = (int64_t) v;
                        return 0;
                }
        return -EINVAL;
}

/* Stats every interval and an "oom" event for each OOM kill, until the container stops (runc's events
 * loop ends when its OOM notifications close with the group). */
static int events_loop(CgroupContainer *c, int64_t interval_ms) {
        _cleanup_close_ int watch = -EBADF, pidfd = -EBADF;
        bool v1 = strcmp(cgroup_get_driver(c->cgroup.cg), "cgroupfs-v1") == 0;
        const char *what = NULL;
        uint64_t seen = 0, count = 0;
        int r;

        if (pidref_open(&c->state->init, &pidfd) < 0)
                return log_error("container '%s' is not running", c->state->id), -ESRCH;
        watch = cgroup_oom_watch_open(c->cgroup.cg, &what);
        if (watch < 0)
                return log_error_errno(
                        watch, "container '%s': failed to watch for OOM kills: %s", c->state->id, what);
        (void) cgroup_oom_kill_count(c->cgroup.cg, &seen, NULL);
        for (;;) {
                struct pollfd p[2] = {{.fd = watch, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};

                r = poll(p, 2, interval_ms > INT32_MAX ? INT32_MAX : (int) interval_ms);
                if (r < 0 && errno != EINTR)
                        return log_error_errno(errno, "poll failed");
                if (r == 0) {
                        r = print_stats(c);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (p[0].revents & POLLIN) {
                        (void) cgroup_oom_watch_drain(c->cgroup.cg, watch);
                        /* v1's eventfd fires as the group goes out of memory, before the kernel has killed
                         * and counted (memory.oom_control oom_kill): the firing is the event, as runc's
                         * notifyOnOOM has it; v2's fires on every change of memory.events, so count. */
                        if (cgroup_oom_kill_count(c->cgroup.cg, &count, NULL) < 0 || count <= seen)
                                count = v1 ? seen + 1 : seen;
                        for (; seen < count; seen++) {
                                r = print_event("oom", c->state->id, NULL);
                                if (r < 0)
                                        return log_error_errno(r, "failed to print an event");
                        }
                }
                if (p[1].revents & POLLIN)
                        return 0; /* the container stopped */
        }
}

int verb_events(const GlobalOptions *g, int argc, char **argv) {
        static const struct option options[] = {{"stats", no_argument, NULL, 's'},
                                                {"interval", required_argument, NULL, 'i'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        _cleanup_(cgroup_container_done) CgroupContainer c = {.root_fd = -EBADF, .dir_fd = -EBADF};
        int64_t interval_ms = 5000;
        bool stats = false;
        int ch, r;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (ch) {
                case 'h':
                        return cli_help("events", EVENTS_USAGE);
                case 's':
                        stats = true;
                        break;
                case 'i':
                        if (parse_interval(optarg, &interval_ms) < 0)
                                return cli_usage_error(
                                        "events",
                                        EVENTS_USAGE,
                                        "invalid --interval '%s': expected a duration such as 5s "
                                        "or 100ms, greater than 0",
                                        optarg);
                        break;
                case ':':
                        return cli_usage_error(
                                "events", EVENTS_USAGE, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        return cli_usage_error(
                                "events", EVENTS_USAGE, "unknown option '%s'", argv[optind - 1]);
                }
        if (argc - optind != 1)
                return cli_usage_error("events", EVENTS_USAGE, "expected exactly one container id");
        if (cgroup_container_open(g, argv[optind], &c) < 0)
                return 1;
        /* The state's lock is not held while events runs: it would block every other verb. */
        c.dir_fd = safe_close(c.dir_fd);
        if (stats)
                return print_stats(&c) < 0 ? 1 : 0;
        r = events_loop(&c, interval_ms);
        return r < 0 ? 1 : 0;
}
