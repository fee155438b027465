/* tether: an OCI runtime with runc's command line. Parses the global options and dispatches to a verb. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commit.h"
#include "config.h"
#include "exe-seal.h"
#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "state.h"

static const Verb verbs[] = {
        {"create", verb_create, true, "create a container from a bundle, ready to start"},
        {"delete", verb_delete, false, "delete a container and its state"},
        {"events", verb_events, false, "print a container's OOM events and stats as JSON"},
        {"exec", verb_exec, true, "run another process in a container"},
        {"features", verb_features, false, "print the OCI features this runtime implements"},
        {"kill", verb_kill, false, "send a signal to a container's process"},
        {"list", verb_list, false, "list the containers"},
        {"pause", verb_pause, false, "freeze all processes of a container"},
        {"ps", verb_ps, false, "list a container's processes"},
        {"resume", verb_resume, false, "thaw a paused container"},
        {"run", verb_run, true, "create and start a container, and wait for it"},
        {"spec", verb_spec, false, "write a config.json with secure defaults"},
        {"start", verb_start, false, "start a created container's program"},
        {"state", verb_state, false, "print a container's OCI state"},
        {"update", verb_update, false, "change a container's cgroup limits"},
};

static void print_help(FILE *f) {
        fputs("Usage: tether [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
              "\n"
              "An OCI runtime. Global options:\n"
              "  --root DIR          state directory (default /run/tether)\n"
              "  --log FILE          also log to FILE\n"
              "  --log-format FMT    text or json, for --log\n"
              "  --debug             log debug messages\n"
              "  --systemd-cgroup    place containers in transient systemd scopes (slice:prefix:name)\n"
              "  --cgroup-manager M  cgroupfs (the default), systemd or disabled\n"
              "  -v, --version       print the version\n"
              "  -h, --help          print this help\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

/* runc's three lines, which dockerd's parseRuntimeVersion and podman read (moby/moby:daemon/info_unix.go).
 */
static void print_version(void) {
        printf("tether version %s\ncommit: %s\nspec: 1.0.2\n", TETHER_VERSION, TETHER_COMMIT);
}

enum {
        OPT_ROOT = 0x100,
        OPT_LOG,
        OPT_LOG_FORMAT,
        OPT_DEBUG,
        OPT_SYSTEMD_CGROUP,
        OPT_CGROUP_MANAGER,
        OPT_IGNORED_ARG
};

static const struct option global_options[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"log", required_argument, NULL, OPT_LOG},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"debug", no_argument, NULL, OPT_DEBUG},
        {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP},
        /* crun's; podman passes --cgroup-manager disabled for --cgroups=disabled to the runtimes of its
         * runtime_supports_nocgroups list (contrib/containers.conf.d/tether.conf). */
        {"cgroup-manager", required_argument, NULL, OPT_CGROUP_MANAGER},
        /* runc options that clients pass and that mean nothing here. */
        {"criu", required_argument, NULL, OPT_IGNORED_ARG},
        {"rootless", required_argument, NULL, OPT_IGNORED_ARG},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {}};

/* A container's processes start as clones of ours: before making any, make sure that what their
 * /proc/self/exe leads to cannot be written (exe-seal.c). The state root is the overlay's scratch layer,
 * as runc uses its state directory (it is made here if missing, as create would). */
static int seal_self(GlobalOptions *g, char **argv) {
        _cleanup_close_ int root_fd = -EBADF;
        int r;

        (void) state_root_open(g->root, &root_fd);
        r = exe_seal(argv, root_fd >= 0 ? g->root : NULL, &g->self_exe);
        if (r < 0)
                return log_error_errno(r, "failed to re-execute from a sealed copy of the tether binary");
        return 0;
}

int main(int argc, char *argv[]) {
        GlobalOptions g = {.root = "/run/tether", .inherited_fds_end = first_unused_fd(), .argv = argv};
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:vh", global_options, NULL)) >= 0)
                switch (c) {
                case OPT_ROOT:
                        g.root = optarg;
                        break;
                case OPT_LOG:
                        g.log = optarg;
                        break;
                case OPT_LOG_FORMAT:
                        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                                return cli_usage_error(NULL,
                                                       NULL,
                                                       "invalid --log-format '%s': expected text or json",
                                                       optarg);
                        g.log_json = strcmp(optarg, "json") == 0;
                        break;
                case OPT_DEBUG:
                        g.debug = true;
                        break;
                case OPT_SYSTEMD_CGROUP:
                        g.systemd_cgroup = true;
                        g.no_cgroup = false;
                        break;
                case OPT_CGROUP_MANAGER:
                        if (strcmp(optarg, "cgroupfs") != 0 && strcmp(optarg, "systemd") != 0 &&
                            strcmp(optarg, "disabled") != 0)
                                return cli_usage_error(
                                        NULL,
                                        NULL,
                                        "invalid --cgroup-manager '%s': expected cgroupfs, systemd or disabled",
                                        optarg);
                        g.systemd_cgroup = strcmp(optarg, "systemd") == 0;
                        g.no_cgroup = strcmp(optarg, "disabled") == 0;
                        break;
                case OPT_IGNORED_ARG:
                        break;
                case 'v':
                        print_version();
                        return 0;
                case 'h':
                        print_help(stdout);
                        return 0;
                case ':':
                        return cli_usage_error(
                                NULL, NULL, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        return cli_usage_error(NULL, NULL, "unknown option '%s'", argv[optind - 1]);
                }

        if (optind >= argc) {
                print_help(stderr);
                return 2;
        }

        r = log_open(g.log, g.log_json, g.debug);
        if (r < 0)
                fprintf(stderr, "tether: failed to open log file '%s': %s, ignoring\n", g.log, strerror(-r));

        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0) {
                        /* create and run make the scope: in tether-systemd (cli-systemd.c), sealed there */
                        if (g.systemd_cgroup && verbs[i].makes_processes && verbs[i].run != verb_exec &&
                            cli_systemd_switch(&g, "--systemd-cgroup") < 0)
                                return 1;
                        if (verbs[i].makes_processes && seal_self(&g, argv) < 0)
                                return 1;
                        r = verbs[i].run(&g, argc - optind, argv + optind);
                        log_close();
                        return r;
                }
        return cli_usage_error(NULL, NULL, "unknown command '%s'", argv[optind]);
}
