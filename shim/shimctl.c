/* shimctl: the host's command line for tether-shim's containers (issue 11). Each verb reaches a
 * container's shim on its socket, or reads its record when the shim is gone (ctl-client.c). */

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-api.h"
#include "ctl.h"
#include "fd-util.h"
#include "macro.h"
#include "shimctl.h"

#define DEFAULT_STATE_DIR "/run/tether-shim"

int ctl_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("shimctl: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return 1;
}

int ctl_usage(const char *verb, const char *usage, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("shimctl: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        fprintf(stderr, "Usage: shimctl %s %s\n", verb, usage);
        return 2;
}

int ctl_errno(int r, const char *id, const char *what) {
        if (r == -ENOENT)
                return ctl_error("no such container '%s'", id);
        if (r == -EINVAL)
                return ctl_error(
                        "invalid container id '%s': expected 1 to 128 of [A-Za-z0-9_.-], starting with a letter or digit",
                        id);
        if (r == -ESRCH)
                return ctl_error("container '%s': its shim is gone", id);
        return ctl_error("container '%s': %s: %s", id, what, strerror(-r));
}

int ctl_bus_error(const char *id, const char *method, const sd_bus_error *e, int r) {
        if (e && e->message)
                return ctl_error("%s", e->message);
        return ctl_error("container '%s': %s failed: %s", id, method, strerror(-r));
}

/* tether-shim beside shimctl, else the one on PATH. */
static const char *find_shim(void) {
        static char path[PATH_MAX + 16];
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash;

        if (n > 0) {
                self[n] = '\0';
                slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        snprintf(path, sizeof(path), "%s/tether-shim", self);
                        if (access(path, X_OK) == 0)
                                return path;
                }
        }
        return "tether-shim";
}

/* --bus: auto (the default) goes through the system bus where tether-busd answers, else to the shims'
 * sockets, with the same output; system or an ADDRESS must have tether-busd; none never asks a bus. */
static int open_bus(Ctl *c, const char *bus) {
        bool must = strcmp(bus, "auto") != 0;
        int r;

        if (strcmp(bus, "none") == 0)
                return 0;
        r = ctl_bus_open(c, strcmp(bus, "auto") == 0 || strcmp(bus, "system") == 0 ? NULL : bus);
        if (r > 0 || !must)
                return 0;
        if (r == 0)
                return ctl_error("tether-busd does not answer on the bus '%s'", bus);
        return ctl_error("cannot connect to the bus '%s': %s", bus, strerror(-r));
}

static const struct {
        const char *name;
        int (*run)(const Ctl *c, int argc, char **argv);
        const char *summary;
} verbs[] = {
        {"run", verb_run, "start a container under a shim of its own"},
        {"list", verb_list, "list the containers"},
        {"status", verb_status, "show a container's state and how it ended"},
        {"kill", verb_kill, "send a signal to a container"},
        {"stop", verb_stop, "stop a container: SIGTERM, then SIGKILL after a timeout"},
        {"wait", verb_wait, "wait for a container to end; exit with its code"},
        {"logs", verb_logs, "print a container's output"},
        {"stats", verb_stats, "print a container's resource usage"},
        {"pause", verb_pause, "freeze a container"},
        {"resume", verb_resume, "thaw a paused container"},
        {"rm", verb_rm, "remove a stopped container's record and log"},
};

static void help(FILE *f) {
        fputs("Usage: shimctl [--state-dir DIR] [--bus auto|system|none|ADDRESS] [--json] COMMAND [ARGS...]\n\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
}

int main(int argc, char **argv) {
        static const struct option options[] = {{"state-dir", required_argument, NULL, 'S'},
                                                {"json", no_argument, NULL, 'j'},
                                                {"bus", required_argument, NULL, 'B'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        Ctl c = {.state_dir = DEFAULT_STATE_DIR};
        const char *bus = "auto";
        int o, r;

        /* before any pipe: the shim's ready pipe must not become someone's stdio (shimctl-run.c) */
        if (stdio_ensure_open() < 0)
                return 1;
        opterr = 0;
        while ((o = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (o) {
                case 'S':
                        c.state_dir = optarg;
                        break;
                case 'j':
                        c.json = true;
                        break;
                case 'B':
                        bus = optarg;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                case ':':
                        return ctl_usage("", "...", "option '%s' needs an argument", argv[optind - 1]);
                default:
                        return ctl_usage("", "...", "unknown option '%s'", argv[optind - 1]);
                }
        if (optind >= argc) {
                help(stderr);
                return 2;
        }
        c.shim = find_shim();
        r = open_bus(&c, bus);
        if (r != 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0) {
                        argv += optind;
                        argc -= optind;
                        optind = 0;
                        r = verbs[i].run(&c, argc, argv);
                        sd_bus_flush_close_unref(c.bus);
                        return r;
                }
        sd_bus_flush_close_unref(c.bus);
        return ctl_usage("", "...", "unknown command '%s'", argv[optind]);
}
