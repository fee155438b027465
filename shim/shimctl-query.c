/* shimctl's verbs on one container or all: list, status, wait, stats, and the actions the shim's methods
 * carry out (kill, stop, pause, resume), and rm. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "bus-api.h"
#include "macro.h"
#include "shimctl.h"
#include "signal-name.h"

static json_t *info_json(const ContainerInfo *i) {
        json_t *j = json_pack("{s:s, s:s, s:b, s:I, s:I}",
                              "id",
                              i->id,
                              "state",
                              i->state,
                              "live",
                              i->live,
                              "pid",
                              (json_int_t) i->pid,
                              "exit_code",
                              (json_int_t) i->exit_code);

        if (!j)
                return NULL;
        json_object_set_new(j, "signal", i->exit_signal[0] ? json_string(i->exit_signal) : json_null());
        json_object_set_new(j, "core_dumped", json_boolean(i->core_dumped));
        json_object_set_new(j, "oom_killed", json_boolean(i->oom_killed));
        json_object_set_new(j, "started_at_usec", json_integer((json_int_t) i->started_usec));
        json_object_set_new(j, "exited_at_usec", json_integer((json_int_t) i->exited_usec));
        if (i->live) {
                json_object_set_new(j, "bundle", json_string(i->bundle));
                json_object_set_new(j, "runtime", json_string(i->runtime));
                json_object_set_new(j, "log_path", json_string(i->log_path));
                json_object_set_new(j, "log_dropped", json_integer((json_int_t) i->log_dropped));
                json_object_set_new(j, "owner", json_integer((json_int_t) i->owner));
                json_object_set_new(j, "generation", json_integer((json_int_t) i->generation));
                json_object_set_new(j, "unit", json_string(i->unit));
        }
        return j;
}

static int print_json(json_t *j) {
        char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

        json_decref(j);
        if (!text)
                return ctl_error("out of memory");
        puts(text);
        free(text);
        return 0;
}

static void format_time(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "-");
}

static void describe_exit(const ContainerInfo *i, char *buf, size_t size) {
        if (i->exit_code < 0)
                snprintf(buf, size, "-");
        else if (i->exit_signal[0])
                snprintf(buf,
                         size,
                         "%d (%s%s%s)",
                         i->exit_code,
                         i->exit_signal,
                         i->core_dumped ? ", core dumped" : "",
                         i->oom_killed ? ", OOM" : "");
        else
                snprintf(buf,
                         size,
                         "%d%s",
                         i->exit_code,
                         i->oom_killed ? " (OOM kill in the container)" : "");
}

/* The ids in the state directory, in the order readdir gives. */
static int list_ids(const Ctl *c, char ***ret, size_t *ret_n) {
        _cleanup_free_ char **ids = NULL;
        size_t n = 0;
        DIR *d = opendir(c->state_dir);
        struct dirent *de;

        if (!d) {
                *ret = NULL;
                *ret_n = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        while ((de = readdir(d))) {
                char **a;

                if (id_validate(de->d_name) < 0)
                        continue; /* ".", "..", and anything no shim made */
                a = reallocarray(ids, n + 1, sizeof(char *));
                if (a)
                        ids = a;
                if (!a || !(ids[n] = strdup(de->d_name))) {
                        closedir(d);
                        return -ENOMEM;
                }
                n++;
        }
        closedir(d);
        *ret = TAKE_PTR(ids);
        *ret_n = n;
        return 0;
}

static void print_header(const Ctl *c) {
        if (!c->json)
                printf("%-24s %-8s %8s  %-20s %s\n", "ID", "STATE", "PID", "STARTED", "EXIT");
}

static void print_one(const ContainerInfo *info, json_t *all) {
        char started[32], exit[96];

        if (all) {
                json_array_append_new(all, info_json(info));
                return;
        }
        format_time(info->started_usec, started, sizeof(started));
        describe_exit(info, exit, sizeof(exit));
        printf("%-24s %-8s %8u  %-20s %s\n", info->id, info->state, info->pid, started, exit);
}

static int compare_info(const void *a, const void *b) {
        return strcmp(((const ContainerInfo *) a)->id, ((const ContainerInfo *) b)->id);
}

static int compare_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* One call for all: tether-busd's GetManagedObjects. */
static int list_bus(const Ctl *c, json_t *all) {
        _cleanup_free_ ContainerInfo *list = NULL;
        size_t n = 0;
        int r;

        r = ctl_bus_list(c, &list, &n);
        if (r < 0)
                return json_decref(all),
                       ctl_error("cannot list the containers through tether-busd: %s", strerror(-r));
        qsort(list, n, sizeof(ContainerInfo), compare_info); /* by id, as from the state directory */
        print_header(c);
        for (size_t i = 0; i < n; i++)
                print_one(&list[i], all);
        return all ? print_json(all) : 0;
}

int verb_list(const Ctl *c, int argc, char **argv) {
        _cleanup_free_ char **ids = NULL;
        json_t *all = c->json ? json_array() : NULL;
        size_t n = 0;
        int r;

        if (argc != 1)
                return ctl_usage("list", "", "takes no arguments");
        if (c->bus)
                return list_bus(c, all);
        r = list_ids(c, &ids, &n);
        if (r < 0)
                return ctl_error("cannot read state directory '%s': %s", c->state_dir, strerror(-r));
        if (n > 0)
                qsort(ids, n, sizeof(char *), compare_str);
        print_header(c);
        for (size_t i = 0; i < n; i++) {
                ContainerInfo info;

                r = ctl_info(c, ids[i], &info);
                if (r < 0) {
                        ctl_errno(r, ids[i], "cannot read its state");
                        free(ids[i]);
                        continue;
                }
                print_one(&info, all);
                free(ids[i]);
        }
        return all ? print_json(all) : 0;
}

static int one_id(const char *verb, int argc, char **argv, const char **ret) {
        if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
                return printf("Usage: shimctl %s ID\n", verb), 1;
        if (argc != 2)
                return ctl_usage(verb, "ID", "expected exactly one container id");
        *ret = argv[1];
        return 0;
}

int verb_status(const Ctl *c, int argc, char **argv) {
        ContainerInfo i;
        const char *id;
        char started[32], exited[32], exit[96];
        int r;

        r = one_id("status", argc, argv, &id);
        if (r != 0)
                return r == 1 ? 0 : r;
        r = ctl_info(c, id, &i);
        if (r < 0)
                return ctl_errno(r, id, "cannot read its state");
        if (c->json)
                return print_json(info_json(&i));
        format_time(i.started_usec, started, sizeof(started));
        format_time(i.exited_usec, exited, sizeof(exited));
        describe_exit(&i, exit, sizeof(exit));
        printf("Id:       %s\nState:    %s%s\nPid:      %u\nStarted:  %s\nExited:   %s\nExit:     %s\n",
               i.id,
               i.state,
               i.live ? "" : " (no shim)",
               i.pid,
               started,
               exited,
               exit);
        if (i.live)
                printf("Bundle:   %s\nRuntime:  %s\nLog:      %s (%llu entries dropped)\n",
                       i.bundle,
                       i.runtime,
                       i.log_path,
                       (unsigned long long) i.log_dropped);
        return 0;
}

/* Calls method on id's shim: 0 and the reply, or logged and the exit status 1. */
static int call(const Ctl *c,
                const char *id,
                const char *method,
                uint64_t timeout,
                sd_bus_message **ret_reply,
                const char *types,
                ...) {
        _cleanup_(ctl_target_done) CtlTarget t = {};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        r = ctl_reach(c, id, &t);
        if (r == -ESRCH)
                return ctl_error("container '%s' is not running: its shim has ended", id);
        if (r < 0)
                return ctl_errno(r, id, "cannot reach its shim");
        r = sd_bus_message_new_method_call(t.bus, &m, t.dest, t.path, SHIM_BUS_INTERFACE, method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(t.bus, m, timeout, &error, ret_reply);
        if (r < 0) {
                if (ctl_error_is_no_such_container(&error))
                        ctl_errno(-ENOENT, id, method);
                else
                        ctl_bus_error(id, method, &error, r);
                sd_bus_error_free(&error);
                return 1;
        }
        return 0;
}

int ctl_wait_exit(const Ctl *c, const char *id) {
        _cleanup_(ctl_target_done) CtlTarget t = {};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        ContainerInfo info;
        const char *sig;
        int32_t code;
        int oom, r;

        r = ctl_reach(c, id, &t);
        if (r >= 0)
                r = sd_bus_call_method(
                        t.bus, t.dest, t.path, SHIM_BUS_INTERFACE, "Wait", &error, &reply, "");
        if (r >= 0 && sd_bus_message_read(reply, "isb", &code, &sig, &oom) >= 0)
                return code;
        if (r < 0 && t.dest && error.name && !sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY)) {
                /* tether-busd's own answer: from the record, or why there is none */
                r = ctl_error_is_no_such_container(&error) ? ctl_errno(-ENOENT, id, "wait")
                                                           : ctl_bus_error(id, "Wait", &error, r);
                sd_bus_error_free(&error);
                return -1;
        }
        sd_bus_error_free(&error);
        if (r == -ENOENT || r == -EINVAL)
                return ctl_errno(r, id, "wait"), -1;
        /* the shim went (or is going): its record says how the container ended */
        r = ctl_info(c, id, &info);
        if (r < 0)
                return ctl_errno(r, id, "cannot read its state"), -1;
        if (info.exit_code < 0)
                return ctl_error("container '%s': its shim is gone and left no record of the exit", id), -1;
        return info.exit_code;
}

int verb_wait(const Ctl *c, int argc, char **argv) {
        const char *id;
        int r;

        r = one_id("wait", argc, argv, &id);
        if (r != 0)
                return r == 1 ? 0 : r;
        if (id_validate(id) < 0)
                return ctl_errno(-EINVAL, id, "");
        r = ctl_wait_exit(c, id);
        return r < 0 ? 1 : r;
}

static int simple(const Ctl *c, const char *verb, const char *method, int argc, char **argv) {
        const char *id;
        int r;

        r = one_id(verb, argc, argv, &id);
        if (r != 0)
                return r == 1 ? 0 : r;
        if (id_validate(id) < 0)
                return ctl_errno(-EINVAL, id, "");
        return call(c, id, method, 0, NULL, NULL);
}

int verb_pause(const Ctl *c, int argc, char **argv) {
        return simple(c, "pause", "Pause", argc, argv);
}

int verb_resume(const Ctl *c, int argc, char **argv) {
        return simple(c, "resume", "Resume", argc, argv);
}

int verb_kill(const Ctl *c, int argc, char **argv) {
        static const char usage[] = "ID [SIGNAL] [--all]";
        static const struct option options[] = {
                {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {}};
        const char *id, *sig = "TERM";
        bool all = false;
        int o;

        while ((o = getopt_long(argc, argv, ":ah", options, NULL)) >= 0)
                if (o == 'a')
                        all = true;
                else if (o == 'h')
                        return printf("Usage: shimctl kill %s\n", usage), 0;
                else
                        return ctl_usage("kill", usage, "unknown option '%s'", argv[optind - 1]);
        if (argc - optind < 1 || argc - optind > 2)
                return ctl_usage("kill", usage, "expected a container id and at most one signal");
        id = argv[optind];
        if (argc - optind == 2)
                sig = argv[optind + 1];
        if (id_validate(id) < 0)
                return ctl_errno(-EINVAL, id, "");
        if (signal_from_string(sig) < 0)
                return ctl_usage("kill", usage, "unknown signal '%s'", sig);
        return call(c, id, "Kill", 0, NULL, "sb", sig, (int) all);
}

int verb_stop(const Ctl *c, int argc, char **argv) {
        static const char usage[] = "ID [-t SECONDS]";
        static const struct option options[] = {
                {"time", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {}};
        double seconds = 0;
        const char *id;
        char *end;
        int o;

        while ((o = getopt_long(argc, argv, ":t:h", options, NULL)) >= 0)
                if (o == 't') {
                        errno = 0;
                        seconds = strtod(optarg, &end);
                        if (errno || end == optarg || *end || !(seconds >= 0) || seconds > 86400)
                                return ctl_usage("stop", usage, "invalid timeout '%s'", optarg);
                } else if (o == 'h')
                        return printf("Usage: shimctl stop %s\n", usage), 0;
                else
                        return ctl_usage("stop", usage, "unknown option '%s'", argv[optind - 1]);
        if (argc - optind != 1)
                return ctl_usage("stop", usage, "expected exactly one container id");
        id = argv[optind];
        if (id_validate(id) < 0)
                return ctl_errno(-EINVAL, id, "");
        /* answered once the exit is recorded: no timeout of our own beyond the stop's */
        return call(c, id, "Stop", UINT64_MAX, NULL, "t", (uint64_t) (seconds * 1e6));
}

int verb_stats(const Ctl *c, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_t *j = json_object();
        const char *id, *key;
        uint64_t v;
        int r;

        r = one_id("stats", argc, argv, &id);
        if (r != 0)
                return json_decref(j), r == 1 ? 0 : r;
        if (id_validate(id) < 0)
                return json_decref(j), ctl_errno(-EINVAL, id, "");
        r = call(c, id, "Stats", 0, &reply, NULL);
        if (r != 0)
                return json_decref(j), r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_read(reply, "{sv}", &key, "t", &v)) > 0) {
                if (c->json)
                        json_object_set_new(j, key, json_integer((json_int_t) v));
                else
                        printf("%-18s %llu\n", key, (unsigned long long) v);
        }
        if (r < 0)
                return json_decref(j), ctl_error("container '%s': a bad Stats answer: %s", id, strerror(-r));
        if (c->json)
                return print_json(j);
        json_decref(j);
        return 0;
}

static void on_alarm(int sig) {
}

/* A lingering shim goes on SIGTERM; its lock tells when it has (bounded: never a hang). */
static int end_shim(const Ctl *c, const char *id) {
        _cleanup_close_ int lock = -EBADF;
        char path[PATH_MAX];
        FILE *f;
        int pid = 0, r;

        snprintf(path, sizeof(path), "%s/%s/shim.pid", c->state_dir, id);
        f = fopen(path, "re");
        if (f) {
                if (fscanf(f, "%d", &pid) != 1)
                        pid = 0;
                fclose(f);
        }
        snprintf(path, sizeof(path), "%s/%s/lock", c->state_dir, id);
        lock = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (lock < 0)
                return 0;
        /* the pid is the shim's while it holds the lock: checked under it. Shared, as every reader takes
         * it (ctl.h): an exclusive one would look like a live shim to them. */
        if (flock(lock, LOCK_SH | LOCK_NB) == 0)
                return 0;
        if (pid > 1)
                (void) kill(pid, SIGTERM);
        signal(SIGALRM, on_alarm);
        alarm(30);
        r = flock(lock, LOCK_SH);
        alarm(0);
        return r < 0 ? -errno : 0;
}

int verb_rm(const Ctl *c, int argc, char **argv) {
        static const char usage[] = "ID [--force] [--ignore]";
        static const char *const files[] = {
                "exit.json", "ctr.log", "shim.log", "pid", "shim.pid", "bus", "lock"};
        static const struct option options[] = {{"force", no_argument, NULL, 'f'},
                                                {"ignore", no_argument, NULL, 'i'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        _cleanup_close_ int dir_fd = -EBADF;
        ContainerInfo info;
        bool force = false, ignore = false;
        char path[PATH_MAX];
        const char *id;
        int o, r;

        while ((o = getopt_long(argc, argv, ":fih", options, NULL)) >= 0)
                if (o == 'f')
                        force = true;
                else if (o == 'i')
                        ignore = true;
                else if (o == 'h')
                        return printf("Usage: shimctl rm %s\n", usage), 0;
                else
                        return ctl_usage("rm", usage, "unknown option '%s'", argv[optind - 1]);
        if (argc - optind != 1)
                return ctl_usage("rm", usage, "expected exactly one container id");
        id = argv[optind];
        r = ctl_info(c, id, &info);
        if (r == -ENOENT && ignore) /* podman rm --ignore: a unit's ExecStartPre before the first start */
                return 0;
        if (r < 0)
                return ctl_errno(r, id, "cannot read its state");
        if (info.live && strcmp(info.state, "stopped") != 0) {
                if (!force)
                        return ctl_error(
                                "container '%s' is %s: stop it first, or use --force", id, info.state);
                r = call(c, id, "Kill", 0, NULL, "sb", "KILL", 1);
                if (r != 0)
                        return r;
                if (ctl_wait_exit(c, id) < 0)
                        return 1;
        }
        r = end_shim(c, id);
        if (r < 0)
                return ctl_error("container '%s': its shim did not end: %s", id, strerror(-r));
        snprintf(path, sizeof(path), "%s/%s", c->state_dir, id);
        dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dir_fd < 0)
                return ctl_errno(-errno, id, "cannot open its state directory");
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                (void) unlinkat(dir_fd, files[i], 0);
        for (unsigned i = 1; i < 1000; i++) { /* rotated logs */
                char name[32];

                snprintf(name, sizeof(name), "ctr.log.%u", i);
                if (unlinkat(dir_fd, name, 0) < 0)
                        break;
        }
        if (rmdir(path) < 0)
                return ctl_errno(-errno, id, "cannot remove its state directory");
        /* the bundle `run --rootfs` wrote for it */
        snprintf(path, sizeof(path), "%s/.bundles/%s/config.json", c->state_dir, id);
        if (unlink(path) == 0) {
                snprintf(path, sizeof(path), "%s/.bundles/%s", c->state_dir, id);
                (void) rmdir(path);
        }
        return 0;
}
