/* `tether pause`, `resume` and `events`: the verbs of a container's cgroup, with runc's command lines and
 * output (opencontainers/runc:pause.go, events.go, types/events.go); `update` is cli-update.c. */

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

#include "cli-cgroup.h"
#include "log.h"
#include "macro.h"

#define EVENTS_USAGE "[--stats] [--interval DURATION] ID"

void cgroup_container_done(CgroupContainer *c) {
        safe_close(c->dir_fd);
        safe_close(c->root_fd);
        container_state_free(c->state);
        container_cgroup_done(&c->cgroup);
        *c = (CgroupContainer){.root_fd = -EBADF, .dir_fd = -EBADF};
}

int cgroup_container_open(const GlobalOptions *g, const char *id, bool unit, CgroupContainer *ret) {
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
        if (unit && cli_systemd_switch_for(g, c.state->cgroup_paths, id) < 0) {
                cgroup_container_done(&c);
                return -EPROTONOSUPPORT;
        }
        r = unit ? container_cgroup_open_unit(c.state->cgroup_paths, id, &c.cgroup, error, sizeof(error))
                 : container_cgroup_open(c.state->cgroup_paths, &c.cgroup, error, sizeof(error));
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
        if (cgroup_container_open(g, id, false, &c) < 0)
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
        if (cgroup_container_open(g, argv[optind], false, &c) < 0)
                return 1;
        /* The state's lock is not held while events runs: it would block every other verb. */
        c.dir_fd = safe_close(c.dir_fd);
        if (stats)
                return print_stats(&c) < 0 ? 1 : 0;
        r = events_loop(&c, interval_ms);
        return r < 0 ? 1 : 0;
}
